using System.Text.Json.Nodes;

namespace DeepPcr.TorchProbe;

/// <summary>Runs one step of the probe, turning an exception into <c>{"ok": false, "error": ...}</c>.</summary>
public static class ProbeStage
{
    /// <summary>Runs <paramref name="body"/>; its object may set <c>"ok"</c> itself, otherwise it is true.</summary>
    /// <param name="body">The step.</param>
    /// <returns>The step's JSON, <c>"ok"</c> first.</returns>
    public static JsonObject Run(Func<JsonObject> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            var result = body();
            var ordered = new JsonObject { ["ok"] = result["ok"]?.DeepClone() ?? true };
            foreach (var (key, value) in result)
            {
                if (key != "ok")
                    ordered[key] = value?.DeepClone();
            }
            return ordered;
        }
        catch (Exception e)
        {
            return new JsonObject
            {
                ["ok"] = false,
                ["error"] = $"{e.GetType().FullName}: {e.Message}",
                ["exception"] = Tail(e.ToString(), 4000),
            };
        }
    }

    /// <summary>Whether a step's JSON says ok.</summary>
    /// <param name="step">The step's JSON.</param>
    /// <returns>True when <c>"ok"</c> is true.</returns>
    public static bool IsOk(JsonObject? step) => step?["ok"]?.GetValue<bool>() == true;

    /// <summary>The last <paramref name="max"/> characters of <paramref name="text"/>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="max">Most characters kept.</param>
    /// <returns>The text or its end.</returns>
    public static string Tail(string text, int max) => text.Length <= max ? text : text[^max..];
}
