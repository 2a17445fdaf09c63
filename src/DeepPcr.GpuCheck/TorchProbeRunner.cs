using System.Text.Json;
using System.Text.Json.Nodes;

namespace DeepPcr.GpuCheck;

/// <summary>
/// The <c>"torchsharp"</c> stage: runs the separate DeepPcr.TorchProbe program (TorchSharp on the
/// machine's own libtorch) as a child process, since a native crash in libtorch cannot be caught
/// in-process, and records its exit code, its JSON, its stdout and the end of its stderr.
/// </summary>
public static class TorchProbeRunner
{
    /// <summary>The probe's executable name.</summary>
    public const string ProbeName = "DeepPcr.TorchProbe";

    /// <summary>Most characters of the probe's stderr kept (its end).</summary>
    public const int StderrTailChars = 2000;

    /// <summary>Most characters of the probe's stdout kept (its end).</summary>
    public const int StdoutTailChars = 8000;

    /// <summary>Where the probe is looked for when no path is given: next to this program, then ../torchprobe/.</summary>
    /// <returns>Candidate paths, in order.</returns>
    public static IReadOnlyList<string> DefaultProbePaths()
    {
        string here = AppContext.BaseDirectory;
        return
        [
            Path.Combine(here, ProbeName),
            Path.GetFullPath(Path.Combine(here, "..", "torchprobe", ProbeName)),
        ];
    }

    /// <summary>Runs the probe.</summary>
    /// <param name="torchLib">The torch/lib folder of the machine's Python.</param>
    /// <param name="probePath">The probe's path, or null for <see cref="DefaultProbePaths"/>.</param>
    /// <param name="timeout">How long the probe may run before it is killed.</param>
    /// <returns>The stage's JSON: <c>"probe"</c>, <c>"exit_code"</c>, <c>"timed_out"</c>, <c>"result"</c> (the probe's JSON), <c>"stdout"</c> (anything else it printed), <c>"stderr_tail"</c>.</returns>
    public static JsonObject Run(string torchLib, string? probePath, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(torchLib);
        var candidates = probePath is null ? DefaultProbePaths() : [Path.GetFullPath(probePath)];
        string? probe = candidates.FirstOrDefault(File.Exists);
        if (probe is null)
        {
            return new JsonObject
            {
                ["ok"] = false,
                ["error"] = "TorchProbe not found",
                ["searched"] = new JsonArray(candidates.Select(c => (JsonNode?)c).ToArray()),
            };
        }

        string resultFile = Path.Combine(Path.GetTempPath(), $"deeppcr-torchprobe-{Environment.ProcessId}-{Guid.NewGuid():N}.json");
        var environment = new Dictionary<string, string>
        {
            ["LD_LIBRARY_PATH"] = JoinPath(torchLib, Environment.GetEnvironmentVariable("LD_LIBRARY_PATH")),
        };
        try
        {
            var child = ChildProcess.Run(probe, ["--torch-lib", torchLib, "--out", resultFile], timeout, environment);
            var probeJson = ReadResult(resultFile) ?? LastJsonLine(child.Stdout);
            string otherStdout = WithoutLastJsonLine(child.Stdout);
            bool probeOk = probeJson?["ok"] is JsonValue v && v.TryGetValue<bool>(out bool b) && b;
            var json = new JsonObject
            {
                ["ok"] = child.ExitCode == 0 && probeOk,
                ["error"] = Error(child, probeJson, probeOk),
                ["probe"] = probe,
                ["torch_lib"] = torchLib,
                ["exit_code"] = child.ExitCode,
                ["timed_out"] = child.TimedOut,
                ["timeout_s"] = timeout.TotalSeconds,
                ["child_ms"] = Timing.Round(child.ElapsedMs),
                ["result"] = probeJson,
                ["stdout"] = Stage.Truncate(otherStdout, StdoutTailChars),
                ["stderr_tail"] = Stage.Truncate(child.Stderr, StderrTailChars),
            };
            if (json["error"] is null)
                json.Remove("error");
            return json;
        }
        finally
        {
            TryDelete(resultFile);
        }
    }

    private static string? Error(ChildResult child, JsonObject? probeJson, bool probeOk)
    {
        if (child.TimedOut)
            return "TorchProbe timed out and was killed";
        if (child.ExitCode is > 128)
            return $"TorchProbe died from signal {child.ExitCode - 128} (a native crash)";
        if (probeJson is null)
            return $"TorchProbe exited with {child.ExitCode} and wrote no JSON";
        if (!probeOk || child.ExitCode != 0)
            return $"TorchProbe exited with {child.ExitCode}: {probeJson["error"]?.ToString() ?? "see result"}";
        return null;
    }

    private static JsonObject? ReadResult(string file)
    {
        try
        {
            return File.Exists(file) ? JsonNode.Parse(File.ReadAllText(file)) as JsonObject : null;
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    private static JsonObject? LastJsonLine(string stdout)
    {
        foreach (string line in stdout.Split('\n').Reverse())
        {
            string trimmed = line.Trim();
            if (!trimmed.StartsWith('{'))
                continue;
            try
            {
                return JsonNode.Parse(trimmed) as JsonObject;
            }
            catch (JsonException)
            {
                // Not the probe's JSON line.
            }
        }
        return null;
    }

    /// <summary>The probe's stdout less its final JSON line (that is in <c>"result"</c>): what else it printed.</summary>
    private static string WithoutLastJsonLine(string stdout)
    {
        string trimmed = stdout.TrimEnd();
        int start = trimmed.LastIndexOf('\n') + 1;
        return trimmed[start..].TrimStart().StartsWith('{') ? trimmed[..start] : stdout;
    }

    private static string JoinPath(string first, string? rest) =>
        string.IsNullOrEmpty(rest) ? first : $"{first}:{rest}";

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (IOException)
        {
            // Left in the temporary folder.
        }
    }
}
