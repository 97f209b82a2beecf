// Minimal stand-in for dmlc-core's logging.h, enough to build apache/tvm-vta's functional
// simulator (src/sim, src/vmem) without TVM: LOG(FATAL) and the CHECK macros print the message
// and abort, as dmlc's do.
#ifndef CANOPY_VTA_SHIM_DMLC_LOGGING_H_
#define CANOPY_VTA_SHIM_DMLC_LOGGING_H_

#include <cstdlib>
#include <iostream>
#include <sstream>

namespace canopy_vta_shim {

class Fatal {
 public:
  Fatal(const char* file, int line) { os_ << file << ":" << line << ": "; }
  ~Fatal() {
    std::cerr << os_.str() << std::endl;
    std::abort();
  }
  template <typename T>
  Fatal& operator<<(const T& value) {
    os_ << value;
    return *this;
  }

 private:
  std::ostringstream os_;
};

// Turns `CHECK(c) << ...` into a void expression (the glog idiom).
struct Voidify {
  void operator&(const Fatal&) {}
};

}  // namespace canopy_vta_shim

#define LOG(severity) ::canopy_vta_shim::Fatal(__FILE__, __LINE__)
#define CHECK(cond)                      \
  (cond) ? (void)0                       \
         : ::canopy_vta_shim::Voidify() & \
               ::canopy_vta_shim::Fatal(__FILE__, __LINE__) << "Check failed: " #cond " "
#define CHECK_EQ(a, b) CHECK((a) == (b))
#define CHECK_NE(a, b) CHECK((a) != (b))
#define CHECK_LT(a, b) CHECK((a) < (b))
#define CHECK_LE(a, b) CHECK((a) <= (b))

#endif  // CANOPY_VTA_SHIM_DMLC_LOGGING_H_
