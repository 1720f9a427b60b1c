// Helpers shared by the ports of gevent's test__pool.py and test__threadpool.py.
#pragma once

#include <cstddef>
#include <vector>

namespace gevent_port {

// The pool sizes gevent's TestPool, TestPool2, TestPool3 and TestPool10 run with.
inline const std::vector<std::size_t> pool_sizes{1, 2, 3, 10};

// Python's list(range(n)).
inline std::vector<int> range(int n) {
    std::vector<int> out;
    for (int i = 0; i < n; ++i) out.push_back(i);
    return out;
}

// [x * x for x in range(n)].
inline std::vector<int> squares(int n) {
    std::vector<int> out;
    for (int i = 0; i < n; ++i) out.push_back(i * i);
    return out;
}

// Python's list(iterator) for an imap range of ints.
template <class Range>
std::vector<int> collect(Range&& r) {
    std::vector<int> out;
    for (int v : r) out.push_back(v);
    return out;
}

// test_imap_it_small/large: next() gives i * i for i in range(n) one by one, then nothing.
template <class IMap>
bool next_gives_squares_then_ends(IMap it, int n) {
    for (int i = 0; i < n; ++i) {
        if (it.next() != i * i) return false;
    }
    return !it.next();
}

}  // namespace gevent_port
