// Plain-text report tables (fmt) for consoles and CI logs.
#pragma once

#include <string>

#include "json_io.hpp"

namespace wlm {

/// Renders an export document (Monitor::export_document or a parsed export file) as text.
/// Missing parts print as "-": it never fails on a partial document.
std::string text_report(const json& doc);

}  // namespace wlm
