// Forwarding header: the mergeable aggregates live in aggregates/ (generation_stats,
// session_state), their JSON in codec/ (event_json, generation_json, session_json).
#pragma once

#include "aggregates/session_state.hpp"
#include "codec/event_json.hpp"
