#!/usr/bin/env bash
# Issue 22's proof, as a new user would see it (run by .ci/run; runs from anywhere, takes a few minutes):
#   1. `dotnet pack -c Release -o FEED` at the repository root gives exactly DeepPcr.Core, DeepPcr, DeepPcr.Models,
#      DeepPcr.SafeTensors (each with its symbols package) and the DeepPcr.Cli tool;
#   2. a fresh `dotnet new console` outside the repository, with FEED added to the normal NuGet sources and
#      `dotnet add package DeepPcr.Models` (nothing else: no RuntimeIdentifier, no hand edits), runs the README's
#      first C# block (the API tour) as its Program.cs, from its build output and from its publish output;
#   3. where the system libstdc++ lacks GLIBCXX_3.4.32, the same program with TorchSharp's unpatched library put
#      back fails with DeepPcr's LibTorchLoadException naming that version, not libtorch's message;
#   4. `dotnet tool install DeepPcr.Cli --tool-path T --add-source FEED`, then `T/deeppcr --help` names itself
#      deeppcr and `T/deeppcr demo --json` prints the demo's JSON.
# Every run packs a unique prerelease version, so a package cached by an earlier run under the same version can
# never stand in for the fresh one; the DeepPcr packages it leaves in the global NuGet cache are removed at exit.
set -euo pipefail
# (No `cmd | grep -q` below: under pipefail, grep -q quitting early can fail the pipeline with SIGPIPE.)

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
suffix="ci.$(date -u +%Y%m%d%H%M%S).$$"
feed="$work/feed"
cache="$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')"

cleanup() {
    rm -rf "$work"
    for id in deeppcr.core deeppcr deeppcr.models deeppcr.safetensors deeppcr.cli; do
        rm -rf "$cache/$id/"*"-$suffix"
    done
}
trap cleanup EXIT

fail() { echo "check-packages: $*" >&2; exit 1; }
mb() { awk -v b="$1" 'BEGIN { if (b < 1e6) printf "%.0f kB", b / 1e3; else printf "%.1f MB", b / 1e6 }'; }
size_of() { du -sb "$1" | cut -f1; }

echo "== dotnet pack -c Release -o FEED (version suffix $suffix)"
start=$SECONDS
dotnet pack "$root" -c Release -o "$feed" -p:VersionSuffix="$suffix" -nologo -v:q
echo "packed in $((SECONDS - start)) s"
version="$(cd "$feed" && ls DeepPcr.Cli.*.nupkg | sed 's/^DeepPcr\.Cli\.//; s/\.nupkg$//')"
listing="$(cd "$feed" && ls | LC_ALL=C sort)"
expected="$(for id in DeepPcr.Core DeepPcr DeepPcr.Models DeepPcr.SafeTensors; do echo "$id.$version.nupkg"; echo "$id.$version.snupkg"; done
            echo "DeepPcr.Cli.$version.nupkg")"
expected="$(echo "$expected" | LC_ALL=C sort)"
for f in $listing; do echo "  $f  $(mb "$(stat -c %s "$feed/$f")")"; done
[ "$listing" = "$expected" ] || fail "expected exactly these packages:"$'\n'"$expected"
contents="$(unzip -l "$feed/DeepPcr.$version.nupkg")"
grep -q 'buildTransitive/DeepPcr.targets' <<< "$contents" || fail "DeepPcr carries no buildTransitive/DeepPcr.targets"

echo "== a fresh console project outside the repository consumes DeepPcr.Models $version"
mkdir -p "$work/consumer"
cat > "$work/consumer/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="deeppcr-ci-feed" value="$feed" />
  </packageSources>
</configuration>
EOF
cd "$work/consumer"
dotnet new console -o app >/dev/null
cd app
dotnet add package DeepPcr.Models --version "$version" >/dev/null
grep -q RuntimeIdentifier app.csproj && fail "the consumer's project names a RuntimeIdentifier"
awk '/^```csharp/ { inside = 1; next } /^```/ { if (inside) exit } inside' "$root/README.md" > Program.cs
[ -s Program.cs ] || fail "README.md has no C# block"
out="$(dotnet run 2>&1)" || { echo "$out"; fail "the consumer's dotnet run failed"; }
echo "$out"
grep -qE '^deeppcr: [0-9]+ iterations, 10 PCR rounds, Converged$' <<< "$out" || fail "the consumer did not print the solver's line"
bin="$(dirname "$(find bin -name app.dll -print -quit)")"
native="$bin/runtimes/linux-x64/native/libLibTorchSharp.so"
[ -f "$native" ] || fail "no $native"
echo "consumer output folder: $(mb "$(size_of "$bin")")"

echo "== dotnet publish of the same project: the step runs on publish output too"
dotnet publish -c Release -o "$work/published" -nologo -v:q
published="$work/published/runtimes/linux-x64/native/libLibTorchSharp.so"
[ -f "$published" ] || fail "no $published"
out="$(dotnet "$work/published/app.dll" 2>&1)" || { echo "$out"; fail "the published program failed"; }
echo "$out"

libstdcxx="$(ls /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib64/libstdc++.so.6 2>/dev/null | head -n 1 || true)"
if [ -n "$libstdcxx" ] && ! grep -qa 'GLIBCXX_3\.4\.32' "$libstdcxx"; then
    echo "== $libstdcxx lacks GLIBCXX_3.4.32: the patched copy differs from NuGet's; unpatched, DeepPcr says why"
    cached="$cache/torchsharp/0.107.0/runtimes/linux-x64/native/libLibTorchSharp.so"
    for copy in "$native" "$published"; do
        differing="$(cmp -l "$copy" "$cached" | wc -l || true)"
        [ "$differing" = 1 ] || fail "expected $copy to differ from NuGet's copy in one byte, not $differing"
    done
    mv "$native" "$native.patched"
    cp "$cached" "$native"
    if err="$(dotnet "$bin/app.dll" 2>&1)"; then fail "the unpatched library loaded"; fi
    mv -f "$native.patched" "$native"
    reason="$(grep -m 1 'LibTorchLoadException' <<< "$err" || true)"
    echo "$reason"
    grep -q "GLIBCXX_3.4.32" <<< "$reason" || fail "no LibTorchLoadException naming GLIBCXX_3.4.32"
fi

echo "== dotnet tool install DeepPcr.Cli --tool-path T --add-source FEED"
cd "$work"
dotnet tool install DeepPcr.Cli --version "$version" --tool-path "$work/tools" --add-source "$feed"
echo "installed tool: $(mb "$(size_of "$work/tools")") (the package $(mb "$(stat -c %s "$feed/DeepPcr.Cli.$version.nupkg")") kept beside what it unpacked)"
help="$("$work/tools/deeppcr" --help)"
grep -qE '^  deeppcr \[command\] \[options\]$' <<< "$help" || { echo "$help"; fail "deeppcr --help does not name itself deeppcr"; }
grep -q 'DeepPcr.Cli' <<< "$help" && fail "deeppcr --help says DeepPcr.Cli"
json="$("$work/tools/deeppcr" demo --json)"
echo "$json"
echo "$json" | python3 -c 'import json, sys; d = json.load(sys.stdin); assert d["forward"]["termination"] == "converged" and d["forward"]["fallback"] == "none", d["forward"]'
echo "check-packages: all passed"
