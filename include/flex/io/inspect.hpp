// `flex inspect`: shape, metadata and per-channel statistics of a field file,
// computed in parallel (each rank reads its share of snapshots).
#pragma once

#include <mpi.h>

#include <string>
#include <vector>

#include "flex/core/config.hpp"

namespace flex {
class Deck;
class DeckSchema;
}  // namespace flex

namespace flex::io {

struct InspectConfig {
  RunSettings run;
  std::string file;
  std::string dataset;        // empty: `fields`, else `w`
  std::vector<long> expect;   // N,C,H,W (-1: any), or empty
};

void declare_inspect_keys(DeckSchema& schema);
InspectConfig read_inspect_config(const Deck& deck);

// Collective. Logs the report; InputError on a shape mismatch or non-finite values.
int inspect(const InspectConfig& config, MPI_Comm comm);

}  // namespace flex::io
