#include "flex/core/deck.hpp"

#include <boost/program_options.hpp>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <istream>
#include <limits>
#include <sstream>

#include "flex/core/error.hpp"

namespace po = boost::program_options;

namespace flex {

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::optional<long> parse_long(const std::string& text) {
  const std::string s = trim(text);
  if (s.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') {
    // Accept integral reals such as 1e3 or 2048.0 for convenience.
    const double d = std::strtod(s.c_str(), &end);
    if (*end != '\0' || !std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9e15) return std::nullopt;
    return static_cast<long>(d);
  }
  return v;
}

std::optional<double> parse_double(const std::string& text) {
  const std::string s = trim(text);
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (*end != '\0') return std::nullopt;
  return v;
}

std::optional<bool> parse_bool(const std::string& text) {
  const std::string s = trim(text);
  if (s == "true" || s == "1" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "0" || s == "no" || s == "off") return false;
  return std::nullopt;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::string item;
  for (char c : text) {
    if (c == ',' || c == ' ' || c == '\t') {
      if (!item.empty()) items.push_back(item), item.clear();
    } else {
      item += c;
    }
  }
  if (!item.empty()) items.push_back(item);
  return items;
}

// Every line blank, a comment, a [section] or `key = value`; the first one
// that is not is named with its number (Program_options would not say which).
void require_deck_syntax(std::istream& in, const std::string& path) {
  std::string line;
  for (long number = 1; std::getline(in, line); ++number) {
    const std::string text = trim(line.substr(0, line.find('#')));
    if (text.empty() || (text.front() == '[' && text.back() == ']')) continue;
    const auto eq = text.find('=');
    FLEX_REQUIRE(eq != std::string::npos && eq > 0 && !trim(text.substr(0, eq)).empty(),
                 path << ":" << number << ": '" << (text.size() > 80 ? text.substr(0, 80) + "..." : text)
                      << "' is not `key = value`, a [section] or a # comment");
  }
  in.clear();
  in.seekg(0);
}

// Two spellings of one value (8 and 8.0, "1, 2" and "1,2") are the same.
bool same_value(const KeySpec& k, const std::string& a, const std::string& b) {
  switch (k.type) {
    case KeyType::Int:
    case KeyType::Real: {
      const auto x = parse_double(a), y = parse_double(b);
      return x && y ? *x == *y : trim(a) == trim(b);
    }
    case KeyType::Bool: return parse_bool(a) == parse_bool(b);
    case KeyType::IntList:
    case KeyType::RealList: {
      const auto x = split_list(a), y = split_list(b);
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        const auto p = parse_double(x[i]), q = parse_double(y[i]);
        if (!(p && q ? *p == *q : x[i] == y[i])) return false;
      }
      return true;
    }
    default: return trim(a) == trim(b);
  }
}

std::string format_bound(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

}  // namespace

// ---------------------------------------------------------------- KeySpec

std::string KeySpec::type_name() const {
  switch (type) {
    case KeyType::Int: return "int";
    case KeyType::Real: return "real";
    case KeyType::Bool: return "bool";
    case KeyType::String: return "string";
    case KeyType::Path: return "path";
    case KeyType::Choice: return "choice";
    case KeyType::IntList: return "int list";
    case KeyType::RealList: return "real list";
  }
  return "?";
}

std::string KeySpec::allowed() const {
  std::string what;
  switch (type) {
    case KeyType::Int: what = "an integer"; break;
    case KeyType::Real: what = "a real number"; break;
    case KeyType::Bool: return "true or false";
    case KeyType::String: return "any text";
    case KeyType::Path: return "a file or directory path";
    case KeyType::Choice: {
      std::string s = "one of: ";
      for (size_t i = 0; i < choices.size(); ++i) s += (i ? ", " : "") + choices[i];
      return s;
    }
    case KeyType::IntList: what = "a comma-separated list of integers"; break;
    case KeyType::RealList: what = "a comma-separated list of reals"; break;
  }
  if (min || max) {
    what += " in [" + (min ? format_bound(*min) : std::string("-inf")) + ", " +
            (max ? format_bound(*max) : std::string("inf")) + "]";
  }
  return what;
}

// ---------------------------------------------------------------- DeckSchema

KeySpec& DeckSchema::add(KeySpec spec) {
  FLEX_CHECK(find(spec.name) == nullptr, "deck key '" << spec.name << "' declared twice");
  keys_.push_back(std::move(spec));
  return keys_.back();
}

KeySpec& DeckSchema::add_int(const std::string& name, long def, const std::string& help) {
  return add({name, KeyType::Int, std::to_string(def), help, {}, {}, {}});
}
KeySpec& DeckSchema::add_real(const std::string& name, double def, const std::string& help) {
  std::ostringstream s;
  s.precision(17);
  s << def;
  return add({name, KeyType::Real, s.str(), help, {}, {}, {}});
}
KeySpec& DeckSchema::add_bool(const std::string& name, bool def, const std::string& help) {
  return add({name, KeyType::Bool, def ? "true" : "false", help, {}, {}, {}});
}
KeySpec& DeckSchema::add_string(const std::string& name, const std::string& def, const std::string& help) {
  return add({name, KeyType::String, def, help, {}, {}, {}});
}
KeySpec& DeckSchema::add_path(const std::string& name, const std::string& def, const std::string& help) {
  return add({name, KeyType::Path, def, help, {}, {}, {}});
}
KeySpec& DeckSchema::add_choice(const std::string& name, const std::string& def, std::vector<std::string> choices,
                                const std::string& help) {
  KeySpec spec{name, KeyType::Choice, def, help, {}, {}, {}};
  spec.choices = std::move(choices);
  return add(std::move(spec));
}
KeySpec& DeckSchema::add_ints(const std::string& name, const std::string& def, const std::string& help) {
  return add({name, KeyType::IntList, def, help, {}, {}, {}});
}
KeySpec& DeckSchema::add_reals(const std::string& name, const std::string& def, const std::string& help) {
  return add({name, KeyType::RealList, def, help, {}, {}, {}});
}

const KeySpec* DeckSchema::find(const std::string& name) const {
  for (const auto& k : keys_)
    if (k.name == name) return &k;
  return nullptr;
}

std::string DeckSchema::help_text() const {
  std::ostringstream out;
  for (const auto& k : keys_) {
    out << "  " << k.name << " = " << (k.default_value.empty() ? "(unset)" : k.default_value) << "\n"
        << "      " << k.help << "\n"
        << "      [" << k.type_name() << "; " << k.allowed() << "]\n";
  }
  return out.str();
}

// ---------------------------------------------------------------- Deck

Deck Deck::parse(const DeckSchema& schema, const std::string& deck_path, const std::vector<std::string>& overrides) {
  Deck deck;
  deck.schema_ = schema;
  deck.source_ = deck_path.empty() ? std::string("<defaults>") : deck_path;

  po::options_description desc;
  for (const auto& k : schema.keys()) desc.add_options()(k.name.c_str(), po::value<std::string>());

  // Overrides are parsed here, not by Program_options, so that `key=` (an
  // empty value) clears a key; a key given twice takes its last value.
  std::map<std::string, std::string> cli;
  for (const auto& o : overrides) {
    const auto eq = o.find('=');
    FLEX_REQUIRE(eq != std::string::npos && eq > 0,
                 "command line: '" << o << "' is not a key=value override");
    const std::string key = trim(o.substr(0, eq));
    FLEX_REQUIRE(schema.find(key) != nullptr, "command line: unknown key '" << key << "' (see --help for the keys)");
    cli[key] = trim(o.substr(eq + 1));
  }
  po::variables_map vm;
  if (!deck_path.empty()) {
    // An ifstream opens a directory and reads it as empty: the defaults would run silently.
    namespace fs = std::filesystem;
    FLEX_REQUIRE(fs::exists(deck_path), deck_path << ": no such input deck");
    FLEX_REQUIRE(!fs::is_directory(deck_path), deck_path << ": is a directory, not an input deck");
    FLEX_REQUIRE(fs::is_regular_file(deck_path), deck_path << ": is not a regular file (an input deck is a text file)");
    std::ifstream in(deck_path);
    FLEX_REQUIRE(in.good(), deck_path << ": cannot open the input deck");
    require_deck_syntax(in, deck_path);
    try {
      po::store(po::parse_config_file(in, desc, /*allow_unregistered=*/false), vm);
    } catch (const po::unknown_option& e) {
      FLEX_REQUIRE(false, deck_path << ": unknown key '" << e.get_option_name()
                                    << "' (run `flex <cmd> --help` for the keys)");
    } catch (const po::multiple_occurrences& e) {
      FLEX_REQUIRE(false, deck_path << ": key '" << e.get_option_name() << "' given more than once");
    } catch (const po::error&) {
      // Not e.what(): Boost 1.74 loops forever when the quoted line itself
      // holds one of its %name% tokens, e.g. %invalid_line% (found by tests/fuzz).
      FLEX_REQUIRE(false, deck_path << ": cannot be read as `key = value` lines");
    }
  }
  for (const auto& k : schema.keys()) {
    auto it = vm.find(k.name);
    if (const auto c = cli.find(k.name); c != cli.end()) {
      deck.values_[k.name] = c->second;
      deck.origins_[k.name] = Origin::CommandLine;
    } else if (it != vm.end()) {
      deck.values_[k.name] = trim(it->second.as<std::string>());
      deck.origins_[k.name] = Origin::File;
    } else {
      deck.values_[k.name] = k.default_value;
      deck.origins_[k.name] = Origin::Default;
    }
  }

  // Validate every key now, so bad input fails before any work is done.
  for (const auto& k : schema.keys()) deck.check_value(k);
  return deck;
}

void Deck::check_value(const KeySpec& k) const {
  const std::string& v = values_.at(k.name);
  if (v.empty() && (k.type == KeyType::String || k.type == KeyType::Path || k.type == KeyType::IntList ||
                    k.type == KeyType::RealList))
    return;
  auto in_range = [&](double x) { return (!k.min || x >= *k.min) && (!k.max || x <= *k.max); };
  switch (k.type) {
    case KeyType::Int: {
      auto x = parse_long(v);
      if (!x || !in_range(static_cast<double>(*x))) bad_value(k.name, "");
      break;
    }
    case KeyType::Real: {
      auto x = parse_double(v);
      if (!x || !std::isfinite(*x) || !in_range(*x)) bad_value(k.name, "");
      break;
    }
    case KeyType::Bool:
      if (!parse_bool(v)) bad_value(k.name, "");
      break;
    case KeyType::Choice: {
      bool ok = false;
      for (const auto& c : k.choices) ok = ok || (c == v);
      if (!ok) bad_value(k.name, "");
      break;
    }
    case KeyType::IntList:
      for (const auto& item : split_list(v)) {
        auto x = parse_long(item);
        if (!x || !in_range(static_cast<double>(*x))) bad_value(k.name, "item '" + item + "' ");
      }
      break;
    case KeyType::RealList:
      for (const auto& item : split_list(v)) {
        auto x = parse_double(item);
        if (!x || !in_range(*x)) bad_value(k.name, "item '" + item + "' ");
      }
      break;
    case KeyType::String:
    case KeyType::Path: break;
  }
}

Deck Deck::inherit(const std::map<std::string, std::string>& values, const std::string& label) const {
  Deck out = *this;
  for (const auto& [key, value] : values) {
    const KeySpec* k = schema_.find(key);
    if (k == nullptr) continue;  // a key this command does not read
    if (origin(key) == Origin::Default) {
      out.values_[key] = value;
      out.origins_[key] = Origin::Inherited;
      out.inherited_from_ = label;
      out.check_value(*k);
    } else if (!same_value(*k, raw(key), value)) {
      FLEX_REQUIRE(false, where(key) << ": key '" << key << "' = " << raw(key) << " contradicts " << label
                                     << ", which has " << value << " (drop the key to use that value)");
    }
  }
  return out;
}

std::map<std::string, std::string> Deck::values_with_prefix(const std::string& prefix) const {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : values_)
    if (key.rfind(prefix, 0) == 0) out[key] = value;
  return out;
}

void Deck::bad_value(const std::string& key, const std::string& why) const {
  const KeySpec* k = schema_.find(key);
  FLEX_REQUIRE(false, where(key) << ": key '" << key << "' = '" << values_.at(key) << "': " << why << "expected "
                            << k->allowed());
}

const std::string& Deck::raw(const std::string& key) const {
  auto it = values_.find(key);
  FLEX_CHECK(it != values_.end(), "deck key '" << key << "' was never declared");
  return it->second;
}

long Deck::get_int(const std::string& key) const {
  auto v = parse_long(raw(key));
  if (!v) bad_value(key, "");
  return *v;
}
double Deck::get_real(const std::string& key) const {
  auto v = parse_double(raw(key));
  if (!v) bad_value(key, "");
  return *v;
}
bool Deck::get_bool(const std::string& key) const {
  auto v = parse_bool(raw(key));
  if (!v) bad_value(key, "");
  return *v;
}
const std::string& Deck::get_string(const std::string& key) const { return raw(key); }

std::vector<long> Deck::get_ints(const std::string& key) const {
  std::vector<long> out;
  for (const auto& item : split_list(raw(key))) out.push_back(*parse_long(item));
  return out;
}
std::vector<double> Deck::get_reals(const std::string& key) const {
  std::vector<double> out;
  for (const auto& item : split_list(raw(key))) out.push_back(*parse_double(item));
  return out;
}

std::vector<std::string> Deck::get_strings(const std::string& key) const { return split_list(raw(key)); }

std::vector<std::string> Deck::keys() const {
  std::vector<std::string> out;
  for (const auto& k : schema_.keys()) out.push_back(k.name);
  return out;
}

std::string Deck::where(const std::string& key) const {
  switch (origin(key)) {
    case Origin::CommandLine: return "command line";
    case Origin::Default: return source_ + " (default)";
    case Origin::Inherited: return inherited_from_;
    default: return source_;
  }
}

Deck::Origin Deck::origin(const std::string& key) const {
  auto it = origins_.find(key);
  FLEX_CHECK(it != origins_.end(), "deck key '" << key << "' was never declared");
  return it->second;
}

std::string Deck::resolved_text() const {
  std::ostringstream out;
  out << "# Resolved deck (from " << source_ << "); `flex <cmd> this-file` repeats the run.\n";
  std::string section;
  for (const auto& k : schema_.keys()) {
    const auto dot = k.name.find('.');
    const std::string sec = dot == std::string::npos ? "" : k.name.substr(0, dot);
    if (sec != section) out << "\n", section = sec;
    const Origin o = origins_.at(k.name);
    out << k.name << " = " << values_.at(k.name) << "  # "
        << (o == Origin::Default    ? std::string("default")
            : o == Origin::File     ? std::string("deck")
            : o == Origin::Inherited ? "from " + inherited_from_
                                     : std::string("command line"))
        << "\n";
  }
  return out.str();
}

}  // namespace flex
