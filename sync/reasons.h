// The kind of a rejection reason, for counting rejected documents by
// reason in a sync pass's summary line (sync/syncer.cc).
//
// es.4 validation messages quote the offending value ('author address
// "@x.b..." must ...', 'doc must be an object, but is "junk 1"'), so a pub
// sending a million distinct junk values would give a million distinct
// reasons. ReasonKind keeps the words and drops the values: every quoted
// string becomes "…", every run of digits becomes "#", and whatever follows
// "but is " is dropped. The result is escaped (core::Printable) and at most
// about |max_bytes| long. Pure function; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace esfs::sync {

std::string ReasonKind(std::string_view why, size_t max_bytes = 80);

}  // namespace esfs::sync
