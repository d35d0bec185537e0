// Which of two documents is newer (spec §9).
#pragma once

#include "core/document.h"

namespace esfs::core {

// The ingest test for two documents by the same author at the same path:
// true if |incoming| replaces |stored|. The reference compares the strings
// "<timestamp>,<signature>" character by character (a JS array compare), so
// we do too, quirk for timestamps of different digit counts included.
bool ReplacesForIngest(const Document& incoming, const Document& stored);

// The winner rule among the documents of different authors at one path:
// true if |a| wins over |b|: higher timestamp, then the SMALLER signature
// string. Equal timestamps are where 5.7.6 (greater signature) and 6.8.5,
// the pub's library (smaller), disagree; DESIGN decision 1 follows 6.8.5.
// docs/conformance.md explains the choice.
bool WinsOver(const Document& a, const Document& b);

}  // namespace esfs::core
