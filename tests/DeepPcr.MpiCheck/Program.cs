using System.Text.Json.Nodes;
using DeepPcr.Backward;
using DeepPcr.Distributed;
using DeepPcr.MpiCheck;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

// Usage: mpirun -np P dotnet DeepPcr.MpiCheck.dll CASE...   (CASE: kind:L:w:B[:dtype], see CheckCase)
// Every rank solves each case split across the ranks (forward, backward by PCR across ranks, backward rank after
// rank) and the same case in this process alone (DeepPCR forward, the PCR adjoint), and compares its own segment;
// the largest relative difference over the ranks goes to rank 0, which prints one JSON line per case.
return DistributedJob.Run(group =>
{
    foreach (var text in args)
    {
        using var scope = torch.NewDisposeScope();
        var report = Check(CheckCase.Parse(text), group);
        if (group.Rank == 0) Console.WriteLine(report.ToJsonString());
    }
    return 0;
}, e => (1, e.Message), Console.Error);

static JsonObject Check(CheckCase c, RankGroup group)
{
    var (chain, input, cotangent) = c.Build();
    long bytes = group.BytesSent;
    var forward = DistributedSolver.Solve(chain, input, group);
    var backward = DistributedSolver.Backward(chain, forward, cotangent, group);
    var relay = DistributedSolver.Backward(chain, forward, cotangent, group, sequential: true);
    Span<double> sent = stackalloc double[] { group.BytesSent - bytes };
    group.Sum(sent);

    var single = ParallelChainSolver.DeepPcr.Solve(chain, input);
    var adjoint = AdjointSolver.Solve(chain, input, single.States, cotangent);
    var p = forward.Partition;
    Tensor Rows(Tensor all) => all.narrow(0, p.First, p.Count);
    // Parameter gradients per segment come from steps that hand out segments of their own (MLP, residual chains).
    var parameters = chain is DeepPcr.Chains.ISegmentedChainStep ? adjoint.ParameterGradients.Select(Rows).ToArray() : Array.Empty<Tensor>();
    return new JsonObject
    {
        ["case"] = $"{c.Kind}:{c.Length}:{c.Width}:{c.Batch}:{(c.Dtype == ScalarType.Float32 ? "float32" : "float64")}",
        ["ranks"] = group.Size,
        ["converged"] = group.All(forward.Converged),
        ["iterations"] = forward.Iterations,
        ["single_iterations"] = single.Iterations,
        ["single_fallback"] = single.FallbackName,
        ["exchange_rounds"] = forward.ExchangeRounds,
        ["bytes_exchanged"] = (long)sent[0],
        ["forward_error"] = Error(group, (forward.States, Rows(single.States)), (forward.Start, p.First == 0 ? input : single.States[p.First - 1])),
        ["backward_error"] = BackwardError(group, backward, adjoint, parameters, Rows),
        ["sequential_backward_error"] = BackwardError(group, relay, adjoint, parameters, Rows),
        ["backward_fallback"] = backward.Fallback.ToString(),
    };
}

static double BackwardError(RankGroup group, DistributedGradients d, AdjointSolution single, Tensor[] parameters, Func<Tensor, Tensor> rows)
{
    var pairs = new List<(Tensor, Tensor)> { (d.Lambda, rows(single.StateGradients!)) };
    if (d.InputGradient is not null) pairs.Add((d.InputGradient, single.InputGradient));
    if (parameters.Length > 0 && parameters[0].shape[0] > 0)
    {
        if (d.ParameterGradients.Count != parameters.Length) throw new InvalidOperationException("A rank with steps returned no parameter gradients.");
        for (int i = 0; i < parameters.Length; i++) pairs.Add((d.ParameterGradients[i], parameters[i]));
    }
    return Error(group, pairs.ToArray());
}

// max |a - b| / max(|b|, 1e-300) pooled over the pairs and the ranks.
static double Error(RankGroup group, params (Tensor Value, Tensor Reference)[] pairs)
{
    Span<double> both = stackalloc double[2];
    foreach (var (value, reference) in pairs)
    {
        if (reference.NumberOfElements == 0) continue;
        if (!value.shape.SequenceEqual(reference.shape)) throw new InvalidOperationException($"shape [{string.Join(",", value.shape)}] against [{string.Join(",", reference.shape)}]");
        var r = reference.to_type(ScalarType.Float64);
        both[0] = Math.Max(both[0], (value.to_type(ScalarType.Float64) - r).abs().max().ToDouble());
        both[1] = Math.Max(both[1], r.abs().max().ToDouble());
    }
    group.Max(both);
    return both[0] / Math.Max(both[1], 1e-300);
}
