using DeepPcr.Autograd;
using DeepPcr.Backward;
using DeepPcr.Solvers;
using DeepPcr.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Recurrent;

/// <summary>
/// One direction of one recurrent layer solved along time by any chain solver (sequential, DeepPCR/DEER, quasi-DEER,
/// ELK, auto): the input projections W_ih x_t + b_ih for all t in one product, the chain of <see cref="RecurrentStep"/>
/// solved from (h_0[, c_0]), and the backward pass as the one adjoint solve (<see cref="ChainFunction"/>), whose
/// dLoss/dP gives dLoss/dx, dLoss/dW_ih and dLoss/db_ih through that one product.
/// </summary>
public static class RecurrentScan
{
    /// <summary>Runs the layer direction; the outputs are differentiable by TorchSharp autograd with respect to x, h0, c0 and
    /// the four weight tensors (those that require grad).</summary>
    /// <param name="cell">The cell.</param>
    /// <param name="x">[T, B, I], float32 or float64, T, B &gt;= 1.</param>
    /// <param name="weights">The layer's weights (same dtype and device as x).</param>
    /// <param name="h0">[B, H] or null (zeros).</param>
    /// <param name="c0">[B, H] or null (zeros); only for the cells with a cell state.</param>
    /// <param name="solver">The forward method.</param>
    /// <param name="options">Solver settings, or null for the defaults.</param>
    /// <param name="adjoint">How the backward pass solves the reversed chain; null: row by row after the sequential solver,
    /// by PCR otherwise.</param>
    /// <exception cref="ArgumentException">Shapes, dtypes or devices that do not fit, non-finite values, c0 for a GRU.</exception>
    /// <exception cref="InvalidOperationException">The solver stopped at its iteration limit without converging.</exception>
    public static RecurrentScanResult Apply(RecurrentCell cell, Tensor x, RecurrentWeights weights, Tensor? h0, Tensor? c0, IChainSolver solver,
        SolverOptions? options = null, AdjointMethod? adjoint = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(solver);
        weights.Validate(cell);
        int hidden = weights.Hidden(cell);
        CheckInput(x, weights);
        long batch = x.size(1);
        CheckState(h0, "h0", batch, hidden, x);
        if (c0 is not null && !RecurrentCells.HasCellState(cell))
        {
            throw new ArgumentException($"c0 was given but a {RecurrentCells.Name(cell)} cell has no cell state.", nameof(c0));
        }
        CheckState(c0, "c0", batch, hidden, x);

        using var scope = torch.NewDisposeScope();
        var result = new RecurrentScanResult();
        var projections = Project(x, weights);
        // The autograd function keeps the step (and so the projections) and the start state for its backward pass: they
        // leave this scope and are freed with the graph.
        var step = new RecurrentStep(cell, projections.DetachFromDisposeScope(), weights.WeightHh, weights.BiasHh);
        var start = StartState(cell, h0, c0, batch, hidden, x).DetachFromDisposeScope();
        var method = adjoint ?? (solver is SequentialSolver ? AdjointMethod.Sequential : AdjointMethod.Parallel);
        var states = ChainFunction.Apply(step, solver, options, start, s => result.Solution = s, a => result.Adjoint = a, method);
        result.Output = states.narrow(-1, 0, hidden).MoveToOuterDisposeScope();
        result.HN = states[-1].narrow(-1, 0, hidden).MoveToOuterDisposeScope();
        result.CN = RecurrentCells.HasCellState(cell) ? states[-1].narrow(-1, hidden, hidden).MoveToOuterDisposeScope() : null;
        return result;
    }

    /// <summary>P = x W_ih^T + b_ih (T, B, G·H): one product for every time step (with the bias fused where present).</summary>
    public static Tensor Project(Tensor x, RecurrentWeights weights)
    {
        var flat = x.reshape(-1, x.size(2));
        var product = weights.BiasIh is null ? torch.matmul(flat, weights.WeightIh.t()) : torch.addmm(weights.BiasIh, flat, weights.WeightIh.t(), 1, 1);
        return product.view(x.size(0), x.size(1), -1);
    }

    /// <summary>z_0 (B, w): h0, or [h0; c0], zeros where not given.</summary>
    internal static Tensor StartState(RecurrentCell cell, Tensor? h0, Tensor? c0, long batch, int hidden, Tensor like)
    {
        Tensor Zeros() => torch.zeros(new long[] { batch, hidden }, dtype: like.dtype, device: like.device);
        var h = h0 ?? Zeros();
        // A new handle even for a caller's h0, so that the caller's tensor keeps its own dispose scope.
        return RecurrentCells.HasCellState(cell) ? torch.cat(new[] { h, c0 ?? Zeros() }, -1) : h0 is null ? h : h0.alias();
    }

    private static void CheckInput(Tensor x, RecurrentWeights weights)
    {
        TensorChecks.FloatingPoint(x, "x");
        if (x.dim() != 3 || x.size(0) < 1 || x.size(1) < 1 || x.size(2) != weights.InputWidth)
        {
            throw new ArgumentException(
                $"x has shape {TensorChecks.Format(x.shape)} but [T, B, I] with T, B >= 1 and I = {weights.InputWidth} (weight_ih's columns) was expected.", nameof(x));
        }
        TensorChecks.SameKind(weights.WeightIh, "weight_ih", x, "x");
        TensorChecks.Finite(x, "x");
    }

    private static void CheckState(Tensor? state, string name, long batch, int hidden, Tensor x)
    {
        if (state is null) return;
        TensorChecks.Shape(state, name, batch, hidden);
        TensorChecks.SameKind(state, name, x, "x");
        TensorChecks.Finite(state, name);
    }
}
