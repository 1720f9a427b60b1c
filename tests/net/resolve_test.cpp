// The resolver's calls beyond getaddrinfo, on names and addresses /etc/hosts has (no network).
#include <doctest/doctest.h>
#include <netdb.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <geventpp/geventpp.hpp>
#include <geventpp/net/resolve.hpp>
#include <string>

using gev::net::Address;

TEST_CASE("gethostbyname_ex_gives_the_name_aliases_and_ipv4_addresses") {
    gev::run([] {
        auto [name, aliases, addresses] = gev::net::gethostbyname_ex("localhost");
        CHECK(name == "localhost");
        CHECK(std::find(addresses.begin(), addresses.end(), "127.0.0.1") != addresses.end());
        // A numeric address is its own entry, as in Python.
        auto numeric = gev::net::gethostbyname_ex("127.0.0.1");
        CHECK(numeric.name == "127.0.0.1");
        CHECK(numeric.addresses == std::vector<std::string>{"127.0.0.1"});
        CHECK_THROWS_AS(gev::net::gethostbyname_ex("no-such-host.invalid", 5.0), gev::net::AddressError);
    });
}

TEST_CASE("gethostbyaddr_names_an_address_and_resolves_a_name_first") {
    gev::run([] {
        auto entry = gev::net::gethostbyaddr("127.0.0.1");
        CHECK(entry.name == "localhost");
        CHECK(entry.addresses == std::vector<std::string>{"127.0.0.1"});
        CHECK(gev::net::gethostbyaddr("localhost").name == "localhost");
        try {
            gev::net::gethostbyaddr("not an address!", 5.0);
            FAIL("gethostbyaddr of garbage succeeded");
        } catch (const gev::net::AddressError& e) {
            CHECK(std::string(e.what()).find("not an address!") != std::string::npos);
        }
    });
}

TEST_CASE("getnameinfo_gives_host_and_service_numeric_or_named") {
    gev::run([] {
        CHECK(gev::net::getnameinfo(Address("127.0.0.1", 80), NI_NUMERICHOST | NI_NUMERICSERV) ==
              std::pair<std::string, std::string>{"127.0.0.1", "80"});
        CHECK(gev::net::getnameinfo(Address("::1", 443), NI_NUMERICHOST | NI_NUMERICSERV) ==
              std::pair<std::string, std::string>{"::1", "443"});
        const auto [host, service] = gev::net::getnameinfo(Address("127.0.0.1", 80));
        CHECK(host == "localhost");
        CHECK(service == "http");
        try {
            gev::net::getnameinfo(Address::unix_socket("/tmp/x.sock"));
            FAIL("getnameinfo of a Unix address succeeded");
        } catch (const gev::net::AddressError& e) {
            CHECK(std::string(e.what()).find("not an IPv4 or IPv6 address") != std::string::npos);
        }
        CHECK_THROWS_AS(gev::net::getnameinfo(Address()), gev::net::AddressError);
    });
}

TEST_CASE("getfqdn_picks_a_dotted_name_or_falls_back_as_python_does") {
    gev::run([] {
        CHECK(gev::net::getfqdn("localhost") == "localhost");  // no dotted alias: the name
        CHECK(gev::net::getfqdn("  127.0.0.1 ") == "localhost");
        // A name that does not resolve comes back as given (stripped).
        CHECK(gev::net::getfqdn(" no-such-host.invalid ", 5.0) == "no-such-host.invalid");
        char host[HOST_NAME_MAX + 1] = "";
        ::gethostname(host, sizeof host);
        const std::string mine = gev::net::getfqdn("", 5.0);
        CHECK(mine == gev::net::getfqdn(host, 5.0));
        CHECK(gev::net::getfqdn("0.0.0.0", 5.0) == mine);
    });
}
