// Input decks: `key = value  # comment` files with dotted keys per subsystem
// (grid.n, model.size), plus command-line `key=value` overrides that win over
// the file. Each subcommand declares its keys in a DeckSchema (type, default,
// meaning, allowed range or choices); Deck::parse reads the file with
// Boost.Program_options and rejects unknown keys, wrong types and
// out-of-range values with a message naming the file, the key and what is
// allowed. The resolved deck can be written next to any output.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace flex {

enum class KeyType { Int, Real, Bool, String, Path, Choice, IntList, RealList };

struct KeySpec {
  std::string name;
  KeyType type = KeyType::String;
  std::string default_value;  // as written in a deck; empty = no value
  std::string help;
  std::optional<double> min, max;  // Int/Real/lists: inclusive bounds
  std::vector<std::string> choices;  // Choice: allowed words

  KeySpec& range(std::optional<double> lo, std::optional<double> hi) {
    min = lo, max = hi;
    return *this;
  }
  std::string type_name() const;
  std::string allowed() const;  // "integer in [8, inf)", "one of: S, M, L" ...
};

class DeckSchema {
 public:
  KeySpec& add_int(const std::string& name, long def, const std::string& help);
  KeySpec& add_real(const std::string& name, double def, const std::string& help);
  KeySpec& add_bool(const std::string& name, bool def, const std::string& help);
  KeySpec& add_string(const std::string& name, const std::string& def, const std::string& help);
  KeySpec& add_path(const std::string& name, const std::string& def, const std::string& help);
  KeySpec& add_choice(const std::string& name, const std::string& def, std::vector<std::string> choices,
                      const std::string& help);
  KeySpec& add_ints(const std::string& name, const std::string& def, const std::string& help);
  KeySpec& add_reals(const std::string& name, const std::string& def, const std::string& help);

  const std::vector<KeySpec>& keys() const { return keys_; }
  const KeySpec* find(const std::string& name) const;
  // Every key with type, default, meaning: what `flex <cmd> --help` prints.
  std::string help_text() const;

 private:
  KeySpec& add(KeySpec spec);
  std::vector<KeySpec> keys_;
};

class Deck {
 public:
  enum class Origin { Default, File, CommandLine, Inherited };

  // deck_path may be empty (defaults + overrides only). overrides: "key=value".
  static Deck parse(const DeckSchema& schema, const std::string& deck_path,
                    const std::vector<std::string>& overrides);

  long get_int(const std::string& key) const;
  double get_real(const std::string& key) const;
  bool get_bool(const std::string& key) const;
  const std::string& get_string(const std::string& key) const;
  std::vector<long> get_ints(const std::string& key) const;
  std::vector<double> get_reals(const std::string& key) const;
  // A list of words or paths: items separated by commas or white space.
  std::vector<std::string> get_strings(const std::string& key) const;
  Origin origin(const std::string& key) const;
  bool is_set(const std::string& key) const { return origin(key) != Origin::Default; }
  // Where a key's value came from, for messages: the deck file, "command line" or "default".
  std::string where(const std::string& key) const;

  // A copy in which each key still at its default takes the given value
  // (Origin::Inherited, where() = label), e.g. the settings a checkpoint was
  // trained with; a key the deck or command line set to a different value
  // is an InputError naming both. Keys this deck does not declare are skipped.
  Deck inherit(const std::map<std::string, std::string>& values, const std::string& label) const;
  // Every key beginning with `prefix` and its value as written.
  std::map<std::string, std::string> values_with_prefix(const std::string& prefix) const;

  const std::string& source() const { return source_; }
  // Every declared key, in declaration order.
  std::vector<std::string> keys() const;
  // A complete deck that repeats this run: every key, resolved.
  std::string resolved_text() const;

 private:
  const std::string& raw(const std::string& key) const;
  [[noreturn]] void bad_value(const std::string& key, const std::string& why) const;
  void check_value(const KeySpec& k) const;  // type, range, choices; InputError naming the key

  DeckSchema schema_;
  std::string source_;
  std::map<std::string, std::string> values_;
  std::map<std::string, Origin> origins_;
  std::string inherited_from_;  // label of the values inherit() filled in
};

}  // namespace flex
