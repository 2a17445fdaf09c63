using System.Diagnostics;
using System.Text.Json.Nodes;

namespace DeepPcr.GpuCheck;

/// <summary>
/// Runs one stage of the check and turns its outcome into a JSON object that always has
/// <c>"ok"</c> (and <c>"error"</c> on failure) first: an exception becomes a failed stage,
/// never a crash.
/// </summary>
public static class Stage
{
    /// <summary>Most characters of an exception's text kept in <c>"exception"</c>.</summary>
    public const int MaxExceptionChars = 4000;

    /// <summary>
    /// Runs <paramref name="body"/>. Its object may set <c>"ok"</c> and <c>"error"</c> itself
    /// (a stage that ran but found a problem); otherwise <c>"ok"</c> is true. A thrown exception
    /// gives <c>"ok": false</c>, its type and message as <c>"error"</c> and its text as
    /// <c>"exception"</c>. <c>"elapsed_ms"</c> is added last.
    /// </summary>
    /// <param name="body">The stage's work.</param>
    /// <returns>The stage's JSON object.</returns>
    public static JsonObject Run(Func<JsonObject> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var watch = Stopwatch.StartNew();
        JsonObject result;
        try
        {
            result = Normalise(body());
        }
        catch (Exception e)
        {
            result = Failure(e);
        }
        result["elapsed_ms"] = Math.Round(watch.Elapsed.TotalMilliseconds, 3);
        return result;
    }

    /// <summary>The JSON object of a stage that threw <paramref name="e"/>.</summary>
    /// <param name="e">The exception.</param>
    /// <returns><c>{"ok": false, "error": ..., "exception": ...}</c>.</returns>
    public static JsonObject Failure(Exception e) => new()
    {
        ["ok"] = false,
        ["error"] = $"{e.GetType().FullName}: {e.Message}",
        ["exception"] = Truncate(e.ToString(), MaxExceptionChars),
    };

    /// <summary>The JSON object of a stage that was not run, and why.</summary>
    /// <param name="reason">Why the stage was skipped.</param>
    /// <returns><c>{"ok": true, "skipped": true, "reason": ...}</c>.</returns>
    public static JsonObject Skipped(string reason) => new()
    {
        ["ok"] = true,
        ["skipped"] = true,
        ["reason"] = reason,
    };

    /// <summary>Keeps at most <paramref name="max"/> characters, the end of the text when it is cut.</summary>
    /// <param name="text">The text.</param>
    /// <param name="max">Most characters kept.</param>
    /// <returns>The text or its last <paramref name="max"/> characters.</returns>
    public static string Truncate(string text, int max) =>
        text.Length <= max ? text : text[^max..];

    private static JsonObject Normalise(JsonObject body)
    {
        var ordered = new JsonObject { ["ok"] = body["ok"]?.DeepClone() ?? true };
        if (body["error"] is { } error)
            ordered["error"] = error.DeepClone();
        foreach (var (key, value) in body)
        {
            if (key is "ok" or "error")
                continue;
            ordered[key] = value?.DeepClone();
        }
        return ordered;
    }
}
