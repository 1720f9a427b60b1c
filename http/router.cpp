#include <cctype>
#include <geventpp/http/router.hpp>
#include <geventpp/runtime/error.hpp>

#include "detail/access.hpp"

namespace gev::http {

App& App::add(const std::string& pattern, Route fn, std::vector<std::string> methods) {
    std::vector<Token> tokens;
    std::string literal;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] != '<') {
            literal.push_back(pattern[i]);
            continue;
        }
        const auto close = pattern.find('>', i);
        if (close == std::string::npos) {
            throw UsageError("App::route: '<' without '>' in \"" + pattern + "\" — wildcards look like <name> or <name:int>");
        }
        if (!literal.empty()) tokens.push_back({Token::literal, std::move(literal)});
        literal.clear();
        const std::string spec = pattern.substr(i + 1, close - i - 1);
        const auto colon = spec.find(':');
        const std::string name = spec.substr(0, colon);
        const std::string filter = colon == std::string::npos ? "" : spec.substr(colon + 1);
        Token::Kind kind;
        if (filter.empty()) kind = Token::segment;
        else if (filter == "int") kind = Token::integer;
        else if (filter == "float") kind = Token::number;
        else if (filter == "path") kind = Token::path;
        else throw UsageError("App::route: unknown filter '" + filter + "' in \"" + pattern + "\" — use int, float or path");
        tokens.push_back({kind, name});
        i = close;
    }
    if (!literal.empty()) tokens.push_back({Token::literal, std::move(literal)});
    Entry e{std::move(tokens), std::move(methods), std::move(fn)};
    if (e.tokens.size() == 1 && e.tokens[0].kind == Token::literal) {
        static_[e.tokens[0].text].push_back(std::move(e));
    } else if (e.tokens.empty()) {
        static_[""].push_back(std::move(e));
    } else {
        dynamic_.push_back(std::move(e));
    }
    return *this;
}

bool App::match(const std::vector<Token>& tokens, std::string_view path,
                std::vector<std::pair<std::string, std::string>>& params) {
    params.clear();
    std::size_t pos = 0;
    for (std::size_t t = 0; t < tokens.size(); ++t) {
        const auto& tok = tokens[t];
        if (tok.kind == Token::literal) {
            if (path.substr(pos, tok.text.size()) != tok.text) return false;
            pos += tok.text.size();
            continue;
        }
        std::size_t end = pos;
        switch (tok.kind) {
            case Token::segment:
                while (end < path.size() && path[end] != '/') ++end;
                break;
            case Token::integer:
                if (end < path.size() && path[end] == '-') ++end;
                while (end < path.size() && std::isdigit(static_cast<unsigned char>(path[end]))) ++end;
                break;
            case Token::number:
                while (end < path.size() && (std::isdigit(static_cast<unsigned char>(path[end])) || path[end] == '.')) ++end;
                break;
            case Token::path: {
                // The rest, up to where the next literal (if any) ends the path.
                if (t + 1 < tokens.size() && tokens[t + 1].kind == Token::literal) {
                    const auto at = path.rfind(tokens[t + 1].text);
                    if (at == std::string_view::npos || at < pos) return false;
                    end = at;
                } else {
                    end = path.size();
                }
                break;
            }
            case Token::literal:
                break;
        }
        if (end == pos) return false;
        params.emplace_back(tok.text, std::string(path.substr(pos, end - pos)));
        pos = end;
    }
    return pos == path.size();
}

void App::operator()(Request& req, Response& res) const {
    try {
        if (const Entry* e = find(req)) return e->fn(req, res);
    } catch (const HTTPError& e) {
        if (!error_page(e, res)) throw;
    }
}

namespace {

bool accepts(const std::vector<std::string>& methods, std::string_view method) {
    for (const auto& m : methods) {
        if (m == method || (method == "HEAD" && m == "GET")) return true;
    }
    return false;
}

}  // namespace

const App::Entry* App::find(Request& req) const {
    const std::string_view method = req.method();
    std::vector<std::string> allowed;
    if (auto it = static_.find(req.path()); it != static_.end()) {
        for (const auto& e : it->second) {
            if (accepts(e.methods, method)) return &e;
            allowed.insert(allowed.end(), e.methods.begin(), e.methods.end());
        }
    }
    std::vector<std::pair<std::string, std::string>> params;
    for (const auto& e : dynamic_) {
        if (!match(e.tokens, req.path(), params)) continue;
        if (accepts(e.methods, method)) {
            detail::Access::set_params(req, params);
            return &e;
        }
        allowed.insert(allowed.end(), e.methods.begin(), e.methods.end());
    }
    if (!allowed.empty()) {
        std::string allow;
        for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
        throw HTTPError(405, "Method Not Allowed", {{"Allow", allow}});
    }
    abort(404, "Not Found: " + req.path());
}

bool App::error_page(const HTTPError& e, Response& res) const {
    auto page = errors_.find(e.status());
    if (page == errors_.end() || res.started()) return false;
    res.reset();
    res.set_status(e.status());
    for (const auto& [name, value] : e.headers()) res.set_header(name, value);
    res.body = page->second(e);
    return true;
}

}  // namespace gev::http
