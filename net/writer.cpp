#include <cerrno>
#include <geventpp/net/writer.hpp>

namespace gev::net {

void Writer::check_open(const char* call) const {
    if (closed_) throw SocketError(EBADF, std::string("Writer::") + call + ": the writer is closed");
}

std::size_t Writer::write(std::string_view data) {
    check_open("write");
    if (buffer_.size() + data.size() <= buffer_size_) {
        buffer_.append(data);
        if (buffer_.size() == buffer_size_) flush();
        return data.size();
    }
    flush();
    if (data.size() < buffer_size_) {
        buffer_.assign(data);
    } else {
        socket_.sendall(data);
    }
    return data.size();
}

void Writer::flush() {
    check_open("flush");
    std::string_view rest = buffer_;
    try {
        while (!rest.empty()) rest.remove_prefix(socket_.send(rest));
    } catch (...) {
        buffer_.erase(0, buffer_.size() - rest.size());  // keep only what did not go out
        throw;
    }
    buffer_.clear();
}

void Writer::close() {
    if (closed_) return;
    flush();
    closed_ = true;
}

}  // namespace gev::net
