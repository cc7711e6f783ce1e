// Checked reading of nlohmann::json without exceptions: every accessor verifies the type first
// and reports the JSON path of anything missing or malformed.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "status.hpp"

namespace wlm {

using json = nlohmann::json;

namespace jsonio {

/// The largest text parse() reads: 128 MiB. An export of 100,000 generations and as many
/// memory samples (the largest history) is about 70 MB.
inline constexpr std::size_t kMaxDocumentBytes = std::size_t{1} << 27;
/// The most text one merge of several documents reads (their sum): 256 MiB.
inline constexpr std::size_t kMaxMergeBytes = std::size_t{1} << 28;
/// The deepest nesting a text may have: 64 levels (an export has 8).
inline constexpr std::size_t kMaxJsonDepth = 64;
/// The most values (scalars, arrays and objects) a text may hold; the same export holds about
/// 3.2 million.
inline constexpr std::size_t kMaxJsonValues = std::size_t{1} << 23;

/// Parses `text`; on failure the message carries nlohmann's line and column. Texts longer than
/// kMaxDocumentBytes, nested deeper than 64 levels or holding more than kMaxJsonValues values
/// are refused before their DOM grows, so that no document can exhaust wasm memory.
Status parse(const std::string& text, json& out);
/// Serializes compactly; invalid UTF-8 in strings is replaced, never fatal.
std::string dump(const json& value, int indent = -1);
/// A short rendering of a value for error messages (long strings and containers elided).
std::string describe(const json& value);
/// `s` as a JSON string for a message, cut to its first `max_bytes` bytes (at a UTF-8 boundary)
/// and ending in "..." when longer: `"generations.byModel.xxxx..."`.
std::string quote_short(const std::string& s, std::size_t max_bytes);
/// "$.a.b" style paths; keys that are not identifiers are quoted: $.byModel["x.y"]. Keys over
/// 256 bytes are cut and end in "...", so that a message stays short whatever the input.
std::string child(const std::string& path, const std::string& key);
std::string child(const std::string& path, std::size_t index);

/// Finds a member of an object. Missing -> error naming path.key.
Status member(const json& obj, const std::string& path, const char* key, const json*& out);
Status object(const json& obj, const std::string& path, const char* key, const json*& out);
Status array(const json& obj, const std::string& path, const char* key, const json*& out);
/// A finite number within [lo, hi].
Status number(const json& obj, const std::string& path, const char* key, double& out, double lo,
              double hi);
/// A number or null (null -> NaN, meaning "absent").
Status optional_number(const json& obj, const std::string& path, const char* key, double& out,
                       double lo, double hi);
/// A non-negative integer no larger than 2^53.
Status count(const json& obj, const std::string& path, const char* key, std::uint64_t& out);
Status integer(const json& obj, const std::string& path, const char* key, std::int64_t& out,
               std::int64_t lo, std::int64_t hi);
Status string(const json& obj, const std::string& path, const char* key, std::string& out,
              std::size_t max_len);
Status optional_string(const json& obj, const std::string& path, const char* key, std::string& out,
                       std::size_t max_len);
Status boolean(const json& obj, const std::string& path, const char* key, bool& out);
/// Reads element `v` itself (not a member) as a count or finite number.
Status count_value(const json& v, const std::string& path, std::uint64_t& out);
Status number_value(const json& v, const std::string& path, double& out, double lo, double hi);

/// A number, or null when `v` is NaN (JSON has no NaN).
json number_or_null(double v);

}  // namespace jsonio
}  // namespace wlm
