#include <cxxabi.h>

#include <cstdlib>
#include <geventpp/runtime/error.hpp>
#include <memory>
#include <typeinfo>

namespace gev::detail {

std::string exception_type_name(const std::exception_ptr& e) {
    if (!e) return "no exception";
    try {
        std::rethrow_exception(e);
    } catch (...) {
        const std::type_info* t = abi::__cxa_current_exception_type();
        if (!t) return "unknown exception";
        int status = 0;
        std::unique_ptr<char, void (*)(void*)> name(abi::__cxa_demangle(t->name(), nullptr, nullptr, &status),
                                                    std::free);
        return status == 0 && name ? name.get() : t->name();
    }
}

std::string describe(const std::exception_ptr& e) {
    std::string out = exception_type_name(e);
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& x) {
        out += ": ";
        out += x.what();
    } catch (...) {
    }
    return out;
}

}  // namespace gev::detail
