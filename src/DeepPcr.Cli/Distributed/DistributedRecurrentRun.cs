using System.Text.Json.Nodes;
using DeepPcr.Cli.Commands;
using DeepPcr.Cli.Files;
using DeepPcr.Cli.Recurrent;
using DeepPcr.Distributed;
using DeepPcr.Models.Recurrent;
using DeepPcr.Recurrent;
using DeepPcr.SafeTensors;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Distributed;

/// <summary>
/// `deeppcr run --distributed` on a recurrent model file: every rank reads and checks the files before MPI starts
/// (the memory check counts states and parameters, not the Jacobians, which are split), then the layers run one after
/// another as in one process (<see cref="RecurrentRun"/>), each layer's directions one after the other, each chain
/// split along time across the ranks (<see cref="DistributedScan"/>); with a cotangent the backward pass goes down the
/// layers the same way. Rank 0 writes the single-process output file (same names, shapes and dtype) and prints the
/// summary: the single-process fields over all chains (and per chain with more than one) plus ranks,
/// bytes_exchanged (point-to-point: PCR rounds and hand-overs), bytes_all_reduced (norms, decisions, and each layer's
/// outputs and gradients gathered on every rank) and exchange_rounds.
/// </summary>
public static class DistributedRecurrentRun
{
    /// <summary>Runs the command on this rank; returns its exit code.</summary>
    public static int Run(SafeTensorFile modelFile, string inputPath, string outputPath, string? cotangentPath, bool json)
    {
        var (module, x, h0, c0, g) = RecurrentRun.Load(modelFile, inputPath, cotangentPath, jacobians: false);
        var parameters = module.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach());
        return DistributedCommand.Ranks(group => Solve(module.Layout, parameters, x, h0, c0, g, outputPath, json, group));
    }

    private static int Solve(RecurrentLayout layout, Dictionary<string, Tensor> parameters, Tensor x, Tensor? h0, Tensor? c0, Tensor? g,
        string outputPath, bool json, RankGroup group)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var traffic = RankTraffic.Start(group);
        var inputs = new List<Tensor> { x.transpose(0, 1).contiguous() };                 // each layer's input [T, B, I]
        var chains = new List<DistributedScanForward>();
        var hn = new List<Tensor>();
        var cn = new List<Tensor>();
        for (long layer = 0; layer < layout.NumLayers; layer++)
        {
            var outputs = new Tensor[layout.Directions];
            for (int direction = 0; direction < layout.Directions; direction++)
            {
                long k = layer * layout.Directions + direction;
                var forward = DistributedScan.Forward(layout.Cell, Sequence(inputs[^1], direction), Weights(layout, parameters, layer, direction), h0?[k], c0?[k], group);
                if (DistributedRun.Failed(forward.Solution, group) is int code) return code;
                chains.Add(forward);
                outputs[direction] = Sequence(forward.Output, direction);
                hn.Add(forward.HN);
                if (forward.CN is { } c) cn.Add(c);
            }
            inputs.Add(outputs.Length == 1 ? outputs[0].contiguous() : torch.cat(outputs, 2));
        }
        var report = Report(layout, chains, group.Size);
        var writer = new SafeTensorWriter();
        if (group.Rank == 0)
        {
            RecurrentRun.Add(writer, "output", inputs[^1].transpose(0, 1), "the output", "sample");
            RecurrentRun.Add(writer, "h_n", torch.stack(hn), "h_n", "chain");
            if (cn.Count > 0) RecurrentRun.Add(writer, "c_n", torch.stack(cn), "c_n", "chain");
        }
        if (g is not null) Backward(layout, parameters, inputs, chains, g, group, writer, report);
        traffic.AddTo(report, group);
        if (group.Rank != 0) return 0;
        using (var files = new AtomicOutputs())
        {
            files.Write(outputPath, writer.WriteTo);
            files.Commit();
        }
        if (json) Console.WriteLine(report.ToJsonString());
        else Console.WriteLine($"deeppcr on {group.Size} ranks: {report["termination"]} after {report["iterations"]} iterations of {report["pcr_rounds"]} PCR rounds across ranks (fallback {report["fallback"]}); wrote {outputPath}");
        return 0;
    }

    /// <summary>The backward pass down the layers; rank 0 adds grad.input, grad.h0 (grad.c0) and grad.{name} to the file.</summary>
    private static void Backward(RecurrentLayout layout, Dictionary<string, Tensor> parameters, List<Tensor> inputs, List<DistributedScanForward> chains,
        Tensor g, RankGroup group, SafeTensorWriter writer, JsonObject report)
    {
        var cotangent = g.transpose(0, 1);                                                 // dLoss/d(layer output) [T, B, D·H]
        var h0 = new Tensor[layout.Chains];
        var c0 = new Tensor[layout.Chains];
        var gradients = new Dictionary<string, Tensor>();
        int backwardRounds = 0;
        var layers = report["layers"]?.AsArray();
        for (long layer = layout.NumLayers - 1; layer >= 0; layer--)
        {
            var below = torch.zeros_like(inputs[(int)layer]);
            for (int direction = 0; direction < layout.Directions; direction++)
            {
                int k = (int)(layer * layout.Directions + direction);
                var weights = Weights(layout, parameters, layer, direction);
                var own = Sequence(cotangent.narrow(2, direction * layout.HiddenSize, layout.HiddenSize), direction);
                var grads = DistributedScan.Backward(chains[k], Sequence(inputs[(int)layer], direction), weights, own.contiguous(), group);
                below += Sequence(grads.Input, direction);
                h0[k] = grads.H0;
                if (grads.C0 is not null) c0[k] = grads.C0;
                string suffix = RecurrentLayout.Suffix(layer, direction);
                gradients["weight_ih" + suffix] = grads.Weights.WeightIh;
                gradients["weight_hh" + suffix] = grads.Weights.WeightHh;
                if (grads.Weights.BiasIh is not null) gradients["bias_ih" + suffix] = grads.Weights.BiasIh;
                if (grads.Weights.BiasHh is not null) gradients["bias_hh" + suffix] = grads.Weights.BiasHh;
                backwardRounds = Math.Max(backwardRounds, grads.ExchangeRounds);
                if (layers?[k] is JsonObject entry)
                {
                    entry["backward_method"] = grads.Fallback == Fallback.None ? "pcr" : "sequential";
                    entry["backward_pcr_rounds"] = grads.ExchangeRounds;
                    entry["backward_fallback"] = grads.Fallback.Name();
                }
            }
            cotangent = below;
        }
        report["backward_pcr_rounds"] = backwardRounds;
        if (group.Rank != 0) return;
        RecurrentRun.Add(writer, "grad.input", cotangent.transpose(0, 1), "the input gradient", "sample");
        RecurrentRun.Add(writer, "grad.h0", torch.stack(h0), "the h0 gradient", "chain");
        if (RecurrentCells.HasCellState(layout.Cell)) RecurrentRun.Add(writer, "grad.c0", torch.stack(c0), "the c0 gradient", "chain");
        foreach (var name in parameters.Keys) RecurrentRun.Add(writer, "grad." + name, gradients[name], $"the gradient of {name}", "row");
    }

    /// <summary>The summary as the single-process run gives it (<see cref="RecurrentRunReport"/>), from every chain's distributed record, and ranks.</summary>
    private static JsonObject Report(RecurrentLayout layout, List<DistributedScanForward> chains, int ranks)
    {
        var records = chains.Select(c => DistributedRun.Summary(c.Solution)).ToList();
        var report = new JsonObject
        {
            ["cell"] = RecurrentCells.Name(layout.Cell),
            ["method"] = string.Join("+", records.Select(r => (string)r["method"]!).Distinct()),
            ["engine"] = "distributed",
            ["iterations"] = chains.Max(c => c.Solution.Iterations),
            ["pcr_rounds"] = chains.Max(c => c.Solution.ExchangeRounds),
            ["termination"] = Names.Of(chains.Select(c => c.Solution.Termination).Max()),
            ["fallback"] = chains.Select(c => c.Solution.Fallback).FirstOrDefault(f => f != Fallback.None).Name(),
            ["ranks"] = ranks,
        };
        if (chains.Count > 1)
        {
            report["layers"] = new JsonArray(records.Select((r, k) =>
            {
                var entry = new JsonObject { ["layer"] = k / layout.Directions, ["direction"] = k % layout.Directions == 0 ? "forward" : "reverse" };
                foreach (var (key, value) in r) entry[key] = value?.DeepClone();
                return (JsonNode?)entry;
            }).ToArray());
        }
        return report;
    }

    /// <summary>The sequence a direction reads: as it is (forward) or reversed in time (reverse); its own inverse.</summary>
    private static Tensor Sequence(Tensor sequence, int direction) => direction == 0 ? sequence : sequence.flip(0);

    private static RecurrentWeights Weights(RecurrentLayout layout, Dictionary<string, Tensor> parameters, long layer, int direction)
    {
        string suffix = RecurrentLayout.Suffix(layer, direction);
        return new RecurrentWeights(parameters["weight_ih" + suffix], parameters["weight_hh" + suffix],
            layout.Bias ? parameters["bias_ih" + suffix] : null, layout.Bias ? parameters["bias_hh" + suffix] : null);
    }
}
