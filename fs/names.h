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

// The longest name a folder can list (NAME_MAX).
inline constexpr size_t kMaxNameBytes = 255;

// The es.4 path segment for the file name |name| (1..255 bytes, no '/').
std::string NameToSegment(std::string_view name);
// The name a folder lists for |segment|; |workspace_root|: the segment is
// the first of its path. Every segment NameToSegment makes maps back to its
// name. Segments other apps wrote that no name can stand for get an escaped
// name that contains '%' (docs/names.md, "Names esfs escapes"): "." is
// "%2E", ".." is "%2E%2E", ".esfs-history" at the workspace root is
// "%2Eesfs-history", "%7E@x" stays "%7E@x" (not the owned-folder look-alike
// "~@x"), and a name over kMaxNameBytes becomes its first 200 bytes, '%',
// 16 hex digits of the segment's SHA-256 and its extension (if at most 16
// bytes). FileSystem::ChildLocation finds the segment again from that name.
// Pure; thread-safe.
std::string SegmentToName(std::string_view segment, bool workspace_root = false);

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
