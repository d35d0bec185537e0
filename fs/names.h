// File names <-> es.4 path segments, and which names stay local.
//
// A name becomes a path segment by percent-encoding every byte es.4 paths
// may not hold (space, '#', '?', non-ASCII, controls, ...), plus '%' and
// '*' (DESIGN decision 3). Decoding turns "%XX" back into the byte only
// where encoding would have produced it, so every segment maps to one name
// and back (docs/names.md).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace esfs::fs {

std::string NameToSegment(std::string_view name);
std::string SegmentToName(std::string_view segment);

// Editor, tool and desktop junk (DESIGN decision 7): swap, backup, lock and
// temp names that are kept in the local-only area and never published.
bool IsJunkName(std::string_view name);
// True for names whose content es.4 apps store as base64 (the reference's
// folder sync: gif jpg jpeg png mp3 mp4 mov wav webm ogg zip rar pdf doc
// docx, any case) — DESIGN decision 8.
bool IsBinaryName(std::string_view name);

// Folders whose whole content is local-only (tool databases: .git, .hg, .svn).
bool IsLocalOnlyFolder(std::string_view name);

}  // namespace esfs::fs
