// Forwarding header: the quantile series live in aggregates/ (mapping, exp_histogram, series).
#pragma once

#include "aggregates/series.hpp"
