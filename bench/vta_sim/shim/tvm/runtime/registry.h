// Minimal stand-in for TVM's runtime/registry.h, enough to build apache/tvm-vta's functional
// simulator without TVM. sim_driver.cc registers three profiler functions with
// TVM_REGISTER_GLOBAL; here registration does nothing (the benchmark calls the C driver API of
// include/vta/driver.h directly).
#ifndef CANOPY_VTA_SHIM_TVM_RUNTIME_REGISTRY_H_
#define CANOPY_VTA_SHIM_TVM_RUNTIME_REGISTRY_H_

#include <dmlc/logging.h>

#include <cstdint>
#include <string>

namespace tvm {
namespace runtime {

struct TVMArgValue {
  operator int64_t() const { return 0; }
};

struct TVMArgs {
  TVMArgValue operator[](int) const { return TVMArgValue(); }
};

struct TVMRetValue {
  TVMRetValue& operator=(const std::string&) { return *this; }
};

struct Registry {
  template <typename F>
  Registry& set_body(F) {
    return *this;
  }
};

}  // namespace runtime
}  // namespace tvm

#define CANOPY_VTA_SHIM_CAT2(a, b) a##b
#define CANOPY_VTA_SHIM_CAT(a, b) CANOPY_VTA_SHIM_CAT2(a, b)
#define TVM_REGISTER_GLOBAL(name)                                                   \
  static ::tvm::runtime::Registry CANOPY_VTA_SHIM_CAT(canopy_vta_registry_, __LINE__) = \
      ::tvm::runtime::Registry()

#endif  // CANOPY_VTA_SHIM_TVM_RUNTIME_REGISTRY_H_
