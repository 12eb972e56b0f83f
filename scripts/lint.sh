#!/usr/bin/env bash
# Runs clang-format (check) and clang-tidy on C++ files changed against origin/main or HEAD.
set -euo pipefail
cd "$(dirname "$0")/.."
base=$(git merge-base HEAD origin/main 2>/dev/null || echo HEAD)
files=$( (git diff --name-only "$base"; git ls-files --others --exclude-standard) | grep -E '\.(cc|h)$' | sort -u || true)
[ -z "$files" ] && { echo "lint: no changed C++ files"; exit 0; }
status=0
for f in $files; do
  [ -f "$f" ] || continue
  clang-format --dry-run --Werror "$f" || status=1
done
if [ -f build/compile_commands.json ]; then
  for f in $files; do
    case "$f" in *.cc) clang-tidy -p build --quiet "$f" || status=1 ;; esac
  done
fi
exit $status
