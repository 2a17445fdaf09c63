using DeepPcr.Recurrent;
using DeepPcr.Solvers;
using DeepPcr.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Distributed;

/// <summary>
/// One direction of one recurrent layer solved along time across the ranks of a <see cref="RankGroup"/>, as
/// <see cref="RecurrentScan"/> solves it in one process: the input projections W_ih x_t + b_ih of every step, the chain
/// of <see cref="RecurrentStep"/> split into one contiguous segment of time steps per rank and solved by
/// <see cref="DistributedSolver"/> (Newton iterations, Jacobians and the backward pass split; ceil(log2 P) exchange
/// rounds per solve), then the layer's outputs brought to every rank (<see cref="RankGather"/>) for the next layer.
/// Every rank holds the layer's whole input, projections and outputs (T·B·(I + G·H + w) values); each holds only its
/// own segment's Jacobians. Collective: every rank calls it with the same arguments.
/// </summary>
public static class DistributedScan
{
    /// <summary>The forward pass of the layer direction.</summary>
    /// <param name="cell">The cell.</param>
    /// <param name="x">[T, B, I]: the whole input sequence, the same on every rank (CPU, float32 or float64).</param>
    /// <param name="weights">The layer direction's weights (x's dtype).</param>
    /// <param name="h0">[B, H] or null (zeros).</param>
    /// <param name="c0">[B, H] or null (zeros); the cells with a cell state only.</param>
    /// <param name="group">The ranks.</param>
    /// <param name="options">Solver settings (safeguards: the sequential relay when DeepPCR does not converge), or null.</param>
    /// <returns>This rank's solution and, on every rank, the states z_1..z_T ([T, B, w]).</returns>
    /// <exception cref="ArgumentException">Shapes, dtypes, non-finite values, c0 for a GRU.</exception>
    public static DistributedScanForward Forward(RecurrentCell cell, Tensor x, RecurrentWeights weights, Tensor? h0, Tensor? c0, RankGroup group, SolverOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(group);
        weights.Validate(cell);
        TensorChecks.FloatingPoint(x, "x");
        if (x.dim() != 3 || x.size(2) != weights.InputWidth) throw new ArgumentException($"x has shape {TensorChecks.Format(x.shape)} but [T, B, {weights.InputWidth}] was expected.", nameof(x));
        if (c0 is not null && !RecurrentCells.HasCellState(cell)) throw new ArgumentException($"c0 was given but a {RecurrentCells.Name(cell)} cell has no cell state.", nameof(c0));
        int hidden = weights.Hidden(cell);
        long length = x.size(0), batch = x.size(1);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var step = new RecurrentStep(cell, RecurrentScan.Project(x, weights).contiguous(), weights.WeightHh.detach().contiguous(), weights.BiasHh?.detach().contiguous());
        var start = RecurrentScan.StartState(cell, h0, c0, batch, hidden, x).contiguous();
        var solution = DistributedSolver.Solve(step, start, group, options);
        var p = solution.Partition;
        var states = RankGather.Rows(group, solution.States, p.First, length, new[] { batch, (long)step.Width }, x.dtype);
        foreach (var t in new[] { step.StepInputs, step.WeightHh, step.BiasHh }) t?.MoveToOuterDisposeScope();
        return new DistributedScanForward(cell, hidden, step, Moved(solution), states.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The backward pass of a loss whose cotangent on the layer direction's outputs h_1..h_T is
    /// <paramref name="outputCotangent"/> (none on the last cell state): the reversed chain solved across the ranks,
    /// each rank's parameter and input gradients from its own segment, summed (parameters) or gathered (inputs) over the ranks.
    /// </summary>
    /// <param name="forward">The forward pass.</param>
    /// <param name="x">[T, B, I]: the forward pass's input.</param>
    /// <param name="weights">The forward pass's weights.</param>
    /// <param name="outputCotangent">[T, B, H]: dLoss/dh_t, the same on every rank.</param>
    /// <param name="group">The ranks of the forward pass.</param>
    /// <returns>On every rank: dLoss/dx [T, B, I], dLoss/dh0 and dLoss/dc0 [B, H], and the weights' gradients.</returns>
    public static DistributedScanGradients Backward(DistributedScanForward forward, Tensor x, RecurrentWeights weights, Tensor outputCotangent, RankGroup group)
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(weights);
        TensorChecks.Shape(outputCotangent, "outputCotangent", x.size(0), x.size(1), forward.Hidden);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var p = forward.Solution.Partition;
        long length = x.size(0), batch = x.size(1), input = x.size(2);
        int hidden = forward.Hidden, width = forward.Step.Width, gateWidth = (int)forward.Step.StepInputs.size(2);
        var cotangent = outputCotangent.narrow(0, p.First, p.Count);
        if (width > hidden) cotangent = torch.cat(new[] { cotangent, torch.zeros_like(cotangent) }, -1);
        var grads = DistributedSolver.BackwardRows(forward.Step, forward.Solution, cotangent.contiguous(), group);
        var dP = p.Count > 0 ? grads.StepInputGradients! : torch.zeros(new long[] { 0, batch, gateWidth }, dtype: x.dtype);
        var rows = x.narrow(0, p.First, p.Count).reshape(-1, input);
        var flat = dP.reshape(-1, gateWidth);
        var dx = RankGather.Rows(group, torch.matmul(dP, weights.WeightIh.detach()), p.First, length, new[] { batch, input }, x.dtype);
        var dz0 = RankGather.One(group, grads.InputGradient, new[] { batch, (long)width }, x.dtype);

        // This rank's share of each weight's gradient, summed over the ranks in one reduction.
        var own = new List<Tensor> { torch.matmul(flat.t(), rows) };
        own.Add(p.Count > 0 ? grads.ParameterGradients[0] : torch.zeros_like(weights.WeightHh));
        if (weights.BiasIh is not null) own.Add(flat.sum(new long[] { 0 }));
        if (weights.BiasHh is not null) own.Add(p.Count > 0 ? grads.ParameterGradients[1] : torch.zeros_like(weights.BiasHh));
        var parameters = Sum(group, own, x.dtype);
        int k = 0;
        var dWih = parameters[k++];
        var dWhh = parameters[k++];
        var dbih = weights.BiasIh is null ? null : parameters[k++];
        var dbhh = weights.BiasHh is null ? null : parameters[k];
        var result = new DistributedScanGradients(
            dx.MoveToOuterDisposeScope(),
            dz0.narrow(-1, 0, hidden).MoveToOuterDisposeScope(),
            width > hidden ? dz0.narrow(-1, hidden, hidden).MoveToOuterDisposeScope() : null,
            new RecurrentWeights(dWih.MoveToOuterDisposeScope(), dWhh.MoveToOuterDisposeScope(), dbih?.MoveToOuterDisposeScope(), dbhh?.MoveToOuterDisposeScope()),
            grads.ExchangeRounds, grads.Fallback);
        return result;
    }

    /// <summary>The element-wise sums over the ranks of tensors of the same shapes on every rank, in one all-reduce.</summary>
    private static Tensor[] Sum(RankGroup group, IReadOnlyList<Tensor> parts, ScalarType dtype)
    {
        var values = torch.cat(parts.Select(t => t.to_type(ScalarType.Float64).reshape(-1)).ToArray()).data<double>().ToArray();
        group.Sum(values);
        var all = torch.tensor(values, dtype: ScalarType.Float64).to_type(dtype);
        var result = new Tensor[parts.Count];
        long offset = 0;
        for (int i = 0; i < parts.Count; i++)
        {
            result[i] = all.narrow(0, offset, parts[i].NumberOfElements).reshape(parts[i].shape);
            offset += parts[i].NumberOfElements;
        }
        return result;
    }

    private static DistributedSolution Moved(DistributedSolution s)
    {
        s.Start.MoveToOuterDisposeScope();
        s.States.MoveToOuterDisposeScope();
        return s;
    }
}

/// <summary>One layer direction's distributed forward pass.</summary>
/// <param name="Cell">The cell.</param>
/// <param name="Hidden">H.</param>
/// <param name="Step">The chain (the whole sequence's projections, on every rank).</param>
/// <param name="Solution">This rank's segment and the run's record (the same on every rank).</param>
/// <param name="States">[T, B, w]: z_1..z_T on every rank (w = H, or 2H as [h; c] for the LSTMs).</param>
public sealed record DistributedScanForward(RecurrentCell Cell, int Hidden, RecurrentStep Step, DistributedSolution Solution, Tensor States)
{
    /// <summary>[T, B, H]: h_1..h_T.</summary>
    public Tensor Output => States.narrow(-1, 0, Hidden);

    /// <summary>[B, H]: h_T.</summary>
    public Tensor HN => States[-1].narrow(-1, 0, Hidden);

    /// <summary>[B, H]: c_T for the cells with a cell state, else null.</summary>
    public Tensor? CN => RecurrentCells.HasCellState(Cell) ? States[-1].narrow(-1, Hidden, Hidden) : null;
}

/// <summary>One layer direction's distributed backward pass, on every rank.</summary>
/// <param name="Input">[T, B, I]: dLoss/dx.</param>
/// <param name="H0">[B, H]: dLoss/dh0.</param>
/// <param name="C0">[B, H]: dLoss/dc0 for the cells with a cell state, else null.</param>
/// <param name="Weights">dLoss/dweight_ih, dLoss/dweight_hh, dLoss/dbias_ih and dLoss/dbias_hh (null without bias).</param>
/// <param name="ExchangeRounds">PCR rounds across ranks (0 when the reversed chain was solved rank after rank).</param>
/// <param name="Fallback">None, or Sequential when PCR's solution was not finite.</param>
public sealed record DistributedScanGradients(Tensor Input, Tensor H0, Tensor? C0, RecurrentWeights Weights, int ExchangeRounds, Fallback Fallback);
