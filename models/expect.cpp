#include "models/expect.h"

#include <cctype>
#include <cmath>
#include <cstdio>

namespace gilsim {

using nlohmann::ordered_json;

namespace {

struct Operand {
  double value = 0;
  std::string text;  ///< as written
  bool is_ref = false;
};

class Parser {
public:
  Parser(const std::string& s, const std::map<std::string, ordered_json>& reports) : s_(s), reports_(reports) {}

  ExpectResult parse() {
    const Operand a = operand();
    const std::string op = comparison();
    const Operand b = operand();
    skip_space();
    if (i_ != s_.size()) fail("unexpected text after the expression");
    ExpectResult r;
    if (op == "<") r.holds = a.value < b.value;
    else if (op == "<=") r.holds = a.value <= b.value;
    else if (op == ">") r.holds = a.value > b.value;
    else if (op == ">=") r.holds = a.value >= b.value;
    else if (op == "==") r.holds = a.value == b.value;
    else r.holds = a.value != b.value;
    for (const Operand* o : {&a, &b})
      if (o->is_ref) r.detail += (r.detail.empty() ? "" : ", ") + o->text + " = " + number(o->value);
    return r;
  }

private:
  [[noreturn]] void fail(const std::string& why) const {
    throw ExpectSyntaxError("in \"" + s_ + "\" at column " + std::to_string(i_ + 1) + ": " + why);
  }
  static std::string number(double v) {
    char buf[64];
    if (v == std::floor(v) && std::fabs(v) < 1e15) std::snprintf(buf, sizeof buf, "%.0f", v);
    else std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
  }
  void skip_space() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  std::string comparison() {
    skip_space();
    for (const char* op : {"<=", ">=", "==", "!=", "<", ">"}) {
      const std::string o(op);
      if (s_.compare(i_, o.size(), o) == 0) {
        i_ += o.size();
        return o;
      }
    }
    fail("expected a comparison: < <= > >= == !=");
  }
  Operand operand() {
    skip_space();
    if (i_ >= s_.size()) fail("expected a value or a reference such as py3.speedup");
    const size_t start = i_;
    const char c = s_[i_];
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.') return literal(start);
    return reference(start);
  }
  Operand literal(size_t start) {
    if (s_[i_] == '-') ++i_;
    while (i_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[i_])) || s_[i_] == '.')) ++i_;
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E') && i_ + 1 < s_.size() &&
        (std::isdigit(static_cast<unsigned char>(s_[i_ + 1])) || s_[i_ + 1] == '-')) {
      i_ += 2;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    }
    const std::string num = s_.substr(start, i_ - start);
    char* end = nullptr;
    const double v = std::strtod(num.c_str(), &end);
    if (num.empty() || end != num.c_str() + num.size()) fail("bad number \"" + num + "\"");
    double scale = 1;
    for (const auto& [unit, k] : {std::pair<const char*, double>{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}}) {
      const std::string u(unit);
      if (s_.compare(i_, u.size(), u) == 0 && (i_ + u.size() == s_.size() || !std::isalnum(static_cast<unsigned char>(s_[i_ + u.size()])))) {
        scale = k;
        i_ += u.size();
        break;
      }
    }
    return Operand{v * scale, s_.substr(start, i_ - start), false};
  }
  std::string name() {
    const size_t start = i_;
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_')) ++i_;
    if (i_ == start) fail("expected a name");
    return s_.substr(start, i_ - start);
  }
  Operand reference(size_t start) {
    if (!std::isalpha(static_cast<unsigned char>(s_[i_]))) fail("expected a number or a reference such as py3.speedup");
    const std::string policy = name();
    auto it = reports_.find(policy);
    if (it == reports_.end()) fail("\"" + policy + "\" is not one of the compared policies");
    const ordered_json* cur = &it->second;
    if (i_ >= s_.size() || s_[i_] != '.') fail("expected '.' and a report key after the policy name");
    while (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      const std::string key = name();
      if (!cur->is_object() || !cur->contains(key)) fail("the report has no \"" + key + "\" here");
      cur = &(*cur)[key];
      while (i_ < s_.size() && s_[i_] == '[') {
        const size_t close = s_.find(']', i_);
        if (close == std::string::npos) fail("missing ']'");
        const std::string sel = s_.substr(i_ + 1, close - i_ - 1);
        if (!cur->is_array()) fail("\"" + key + "\" is not a list");
        const ordered_json* found = nullptr;
        bool numeric = !sel.empty();
        for (char ch : sel) numeric = numeric && std::isdigit(static_cast<unsigned char>(ch));
        if (numeric && std::stoul(sel) < cur->size()) found = &(*cur)[std::stoul(sel)];
        for (const auto& item : *cur)
          if (!found && item.is_object() && item.contains("name") && item["name"] == sel) found = &item;
        if (!found) fail("no item \"" + sel + "\" in \"" + key + "\"");
        cur = found;
        i_ = close + 1;
      }
    }
    const std::string text = s_.substr(start, i_ - start);
    if (cur->is_boolean()) return Operand{cur->get<bool>() ? 1.0 : 0.0, text, true};
    if (!cur->is_number()) fail(text + " is " + (cur->is_null() ? "null (undefined for this run)" : "not a number"));
    return Operand{cur->get<double>(), text, true};
  }

  const std::string& s_;
  const std::map<std::string, ordered_json>& reports_;
  size_t i_ = 0;
};

}  // namespace

ExpectResult check_expectation(const std::string& expr, const std::map<std::string, ordered_json>& reports) {
  return Parser(expr, reports).parse();
}

}  // namespace gilsim
