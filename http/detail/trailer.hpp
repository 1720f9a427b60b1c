// The trailer section of a chunked message, on both sides: Beast's parsers append its fields to
// the header's, where a field sent after the body would pass for one of the header (which a
// proxy in front may have checked or set). The server and the client drop them, as nginx does.
#pragma once

#include <cstddef>
#include <iterator>

namespace gev::http::detail {

// Removes the fields after the first `header_fields` (the trailer's) and returns their size on
// the wire, for its limit.
template <class Fields>
std::size_t drop_trailer(Fields& fields, std::size_t header_fields) {
    auto field = fields.begin();
    std::advance(field, header_fields);
    std::size_t size = 0;
    while (field != fields.end()) {
        size += field->name_string().size() + field->value().size() + 4;
        field = fields.erase(field);
    }
    return size;
}

}  // namespace gev::http::detail
