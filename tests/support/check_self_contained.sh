#!/usr/bin/env bash
# Fails if anything the build, the tests or a run reads refers to a folder
# beside the repository (the project's steering folder): users have only the
# repository.
# Usage: check_self_contained.sh <source dir>
set -euo pipefail
cd "$1"
# Bracketed so that this file does not match itself.
pattern='\.\.[/]shared|shared[/]reference|FLEX_SHARED[_]DIR'
hits=$(grep -rInE "$pattern" src include tests validation input-decks cmake scripts CMakeLists.txt \
         --exclude-dir=fixtures --exclude-dir=reference || true)
if [ -n "$hits" ]; then
  echo "references to a folder outside the repository:"
  echo "$hits"
  exit 1
fi
echo "self-contained: no reference outside the repository"
