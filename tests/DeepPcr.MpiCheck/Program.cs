using System.Text.Json.Nodes;
using DeepPcr.Backward;
using DeepPcr.Chains;
using DeepPcr.Distributed;
using DeepPcr.MpiCheck;
using DeepPcr.Recurrent;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

// Usage: mpirun -np P dotnet DeepPcr.MpiCheck.dll CASE...   (CASE: kind:L:w:B[:dtype], see CheckCase)
// Every rank solves each case split across the ranks (forward, backward by PCR across ranks, backward rank after
// rank) and the same case in this process alone (DeepPCR forward, or the sequential pass for a case that must fall
// back; the PCR adjoint), and compares its own segment;
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
    var forward = DistributedSolver.Solve(chain, input, group, c.Options);
    var backward = DistributedSolver.Backward(chain, forward, cotangent, group);
    var relay = DistributedSolver.Backward(chain, forward, cotangent, group, sequential: true);
    Span<double> sent = stackalloc double[] { group.BytesSent - bytes };
    group.Sum(sent);

    // The reference: DeepPCR in one process, or for a case with an iteration limit (which falls back) the sequential pass.
    var single = c.Options is null ? ParallelChainSolver.DeepPcr.Solve(chain, input) : SequentialSolver.Instance.Solve(chain, input);
    var adjoint = AdjointSolver.Solve(chain, input, single.States, cotangent);
    var p = forward.Partition;
    Tensor Rows(Tensor all) => all.narrow(0, p.First, p.Count);
    var fallbacks = group.Gather((double)forward.Fallback);
    return new JsonObject
    {
        ["case"] = $"{c.Kind}:{c.Length}:{c.Width}:{c.Batch}:{(c.Dtype == ScalarType.Float32 ? "float32" : "float64")}",
        ["ranks"] = group.Size,
        ["converged"] = group.All(forward.Converged),
        ["iterations"] = forward.Iterations,
        ["fallback"] = forward.Fallback.Name(),
        ["fallback_reason"] = forward.Alarm,
        ["fallbacks_agree"] = group.Rank != 0 ? null : fallbacks.All(f => f == fallbacks[0]),
        ["single_iterations"] = single.Iterations,
        ["single_fallback"] = single.FallbackName,
        ["exchange_rounds"] = forward.ExchangeRounds,
        ["bytes_exchanged"] = (long)sent[0],
        ["forward_error"] = Error(group, (forward.States, Rows(single.States)), (forward.Start, p.First == 0 ? input : single.States[p.First - 1])),
        ["backward_error"] = BackwardError(group, chain, backward, adjoint, Rows),
        ["sequential_backward_error"] = BackwardError(group, chain, relay, adjoint, Rows),
        ["backward_fallback"] = backward.Fallback.ToString(),
    };
}

// lambda, the input gradient and the parameter gradients: per step (MLP, residual chains: each rank's rows), or summed
// over the steps (recurrent cells: each rank's share, summed over the ranks), and the recurrent cells' step-input gradients by rows.
static double BackwardError(RankGroup group, IChainStep chain, DistributedGradients d, AdjointSolution single, Func<Tensor, Tensor> rows)
{
    var pairs = new List<(Tensor, Tensor)> { (d.Lambda, rows(single.StateGradients!)) };
    if (d.InputGradient is not null) pairs.Add((d.InputGradient, single.InputGradient));
    bool holds = d.Lambda.size(0) > 0;
    if (holds && d.ParameterGradients.Count != single.ParameterGradients.Count) throw new InvalidOperationException("A rank with steps returned no parameter gradients.");
    for (int i = 0; i < single.ParameterGradients.Count; i++)
    {
        var reference = single.ParameterGradients[i];
        if (chain is RecurrentStep)
        {
            var values = (holds ? d.ParameterGradients[i] : torch.zeros_like(reference)).to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
            group.Sum(values);
            pairs.Add((torch.tensor(values, reference.shape, dtype: ScalarType.Float64), reference));
        }
        else if (holds)
        {
            pairs.Add((d.ParameterGradients[i], rows(reference)));
        }
    }
    if (chain is RecurrentStep && holds) pairs.Add((d.StepInputGradients!, rows(single.StepInputGradients!)));
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
