using System.Text.Json.Nodes;
using DeepPcr.Models.Recurrent;
using DeepPcr.Recurrent;
using DeepPcr.Solvers;

namespace DeepPcr.Cli.Recurrent;

/// <summary>
/// The JSON summary of `deeppcr run` on a recurrent file: the cell, and method, engine, iterations, pcr_rounds,
/// termination and fallback over all chains (the names where all chains agree, else the distinct names joined by
/// "+"; the most iterations and rounds of any chain; the worst termination; the first fallback), and with more than
/// one chain a `layers` list holding each chain's own (layer, direction, ...). After a backward pass also
/// `backward_pcr_rounds` (most of any chain) and per chain `backward_method` and `backward_fallback`.
/// </summary>
public static class RecurrentRunReport
{
    /// <summary>The summary of the module's last forward (and backward) pass.</summary>
    public static JsonObject Of(IRecurrentNetwork module)
    {
        var chains = module.LastChains;
        var solutions = chains.Select(c => c.Solution).ToArray();
        var report = new JsonObject
        {
            ["cell"] = RecurrentCells.Name(module.Layout.Cell),
            ["method"] = Joined(solutions.Select(s => s.MethodName)),
            ["engine"] = Joined(solutions.Select(s => s.EngineName)),
            ["iterations"] = solutions.Max(s => s.Iterations),
            ["pcr_rounds"] = solutions.Max(s => s.PcrRounds),
            ["termination"] = Names.Of(solutions.Select(s => s.Termination).Max()),
            ["fallback"] = solutions.Select(s => s.Fallback).FirstOrDefault(f => f != Fallback.None).Name(),
        };
        var adjoints = chains.Select(c => c.Adjoint).ToArray();
        if (adjoints.All(a => a is not null)) report["backward_pcr_rounds"] = adjoints.Max(a => a!.PcrRounds);
        if (chains.Count > 1) report["layers"] = new JsonArray(chains.Select(Chain).ToArray<JsonNode?>());
        return report;
    }

    private static JsonObject Chain(RecurrentChainReport chain)
    {
        var entry = new JsonObject { ["layer"] = chain.Layer, ["direction"] = chain.DirectionName };
        foreach (var (key, value) in Names.Outcome(chain.Solution)) entry[key] = value?.DeepClone();
        if (chain.Adjoint is { } adjoint)
        {
            entry["backward_method"] = adjoint.Method == Backward.AdjointMethod.Sequential ? "sequential" : "pcr";
            entry["backward_pcr_rounds"] = adjoint.PcrRounds;
            entry["backward_fallback"] = adjoint.Fallback.Name();
        }
        return entry;
    }

    private static string Joined(IEnumerable<string> names) => string.Join("+", names.Distinct());
}
