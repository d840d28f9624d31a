// The two tasks FLEX learns (SPEC §3): super-resolution of a subsampled field
// and forecasting the next snapshot. Shared by the data pipeline, the network
// and the samplers, so a training sample's task is the network's task.
#pragma once

namespace flex {

enum class Task { SuperResolution, Forecast };

inline const char* task_name(Task t) { return t == Task::SuperResolution ? "sr" : "fc"; }  // deck spelling

}  // namespace flex
