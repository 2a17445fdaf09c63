using DeepPcr.Chains;
using DeepPcr.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Recurrent;

/// <summary>
/// One direction of one recurrent layer as a driven chain along time: z_{t+1} = f(z_t, P_t) with P_t = W_ih x_t + b_ih
/// the input projection (its rows are the step inputs, computed for all t in one product before the solve), z = h for
/// the GRUs and [h; c] (width 2H) for the LSTMs. Declared Jacobian: dense for gru and lstm, diagonal for gru-diag,
/// 2 x 2 blocks of diagonals for lstm-cifg-diag; analytic Jacobians, parameter gradients (weight_hh, bias_hh) and
/// step-input gradients (dLoss/dP, from which dLoss/dx, dLoss/dW_ih and dLoss/db_ih follow by one product).
/// A segment of the chain (<see cref="Segment"/>) is the step over a view of the projections' rows, sharing the weights:
/// a rank of a distributed solve computes its own segment's parameter and step-input gradients.
/// </summary>
public sealed partial class RecurrentStep : IDrivenChainStep, IBlockDiagonalJacobian, ISegmentedChainStep
{
    private readonly int gates;

    /// <summary>The step of a cell over the given projections.</summary>
    /// <param name="cell">The cell.</param>
    /// <param name="projections">(T, B, G·H): P_t = W_ih x_t + b_ih; may carry an autograd graph.</param>
    /// <param name="weightHh">[G·H, H], or [G·H] for the diagonal cells.</param>
    /// <param name="biasHh">[G·H] or null (zero).</param>
    /// <exception cref="ArgumentException">Shapes, dtypes or devices that do not fit.</exception>
    public RecurrentStep(RecurrentCell cell, Tensor projections, Tensor weightHh, Tensor? biasHh)
    {
        ArgumentNullException.ThrowIfNull(projections);
        ArgumentNullException.ThrowIfNull(weightHh);
        gates = RecurrentCells.Gates(cell);
        Cell = cell;
        TensorChecks.FloatingPoint(projections, "projections");
        if (projections.dim() != 3 || projections.size(0) < 1 || projections.size(1) < 1 || projections.size(2) < gates || projections.size(2) % gates != 0)
        {
            throw new ArgumentException($"projections has shape {TensorChecks.Format(projections.shape)} but (T, B, {gates}·H) with T, B, H >= 1 was expected.", nameof(projections));
        }
        Hidden = (int)(projections.size(2) / gates);
        RecurrentWeights.CheckRecurrent(cell, Hidden, weightHh, biasHh, projections, "projections");
        StepInputs = projections;
        WeightHh = weightHh;
        BiasHh = biasHh;
    }

    /// <summary>The cell.</summary>
    public RecurrentCell Cell { get; }

    /// <summary>H.</summary>
    public int Hidden { get; }

    /// <summary>[G·H, H] or [G·H].</summary>
    public Tensor WeightHh { get; }

    /// <summary>[G·H] or null.</summary>
    public Tensor? BiasHh { get; }

    /// <summary>(T, B, G·H): the input projections.</summary>
    public Tensor StepInputs { get; }

    /// <inheritdoc />
    public int Length => (int)StepInputs.size(0);

    /// <inheritdoc />
    public int Width => RecurrentCells.StateWidth(Cell, Hidden);

    /// <inheritdoc />
    public JacobianStructure JacobianStructure => Cell switch
    {
        RecurrentCell.GruDiag => JacobianStructure.Diagonal,
        RecurrentCell.LstmCifgDiag => JacobianStructure.BlockDiagonal,
        _ => JacobianStructure.Dense,
    };

    /// <inheritdoc />
    public int JacobianBlocks => RecurrentCells.HasCellState(Cell) ? 2 : 1;

    /// <summary>[weight_hh, bias_hh] (bias_hh only when present).</summary>
    public IReadOnlyList<Tensor> Parameters => BiasHh is null ? new[] { WeightHh } : new[] { WeightHh, BiasHh };

    private bool Diagonal => RecurrentCells.HasDiagonalRecurrence(Cell);

    /// <summary>Time steps first..first+count-1 as a chain of their own: the projections' rows (a view), the same weights.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A run outside the chain.</exception>
    public IChainStep Segment(int first, int count)
    {
        if (first < 0 || count < 1 || first + count > Length)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"Steps {first}..{first + count - 1} are outside the chain of {Length} steps.");
        }
        return new RecurrentStep(Cell, StepInputs.narrow(0, first, count), WeightHh, BiasHh);
    }

    /// <inheritdoc />
    public Tensor Evaluate(int first, Tensor inputs) => EvaluateDriven(first, inputs, StepInputs.detach().narrow(0, first, inputs.size(0)));

    /// <inheritdoc />
    public Tensor EvaluateDriven(int first, Tensor inputs, Tensor stepInputs)
    {
        using var scope = torch.NewDisposeScope();
        var (h, c) = Split(inputs);
        return CellMath.Step(Cell, stepInputs, Recurrence(h), h, c).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor? Jacobian(int first, Tensor inputs)
    {
        using var scope = torch.NewDisposeScope();
        var s = Sensitivities(first, inputs);
        Tensor jh;                                                             // (n, B, O, H, H) or (n, B, O, H)
        if (Diagonal)
        {
            jh = (s.SQ! * WeightHh.view(gates, Hidden)).sum(-2);
            if (s.DH is not null) jh = jh + s.DH;
        }
        else
        {
            jh = (s.SQ!.unsqueeze(-1) * WeightHh.view(gates, Hidden, Hidden)).sum(-3);
            if (s.DH is not null) jh = jh + torch.diag_embed(s.DH);
        }
        long n = inputs.size(0), batch = inputs.size(1);
        Tensor result = Cell switch
        {
            RecurrentCell.Gru or RecurrentCell.GruDiag => jh.select(2, 0),
            RecurrentCell.LstmCifgDiag => torch.stack(new[] { jh, s.DC! }, -2),
            _ => torch.cat(new[] { jh.reshape(n, batch, Width, Hidden), torch.diag_embed(s.DC!).reshape(n, batch, Width, Hidden) }, -1),
        };
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>[dLoss/dweight_hh, dLoss/dbias_hh]: sums over steps and samples of the recurrent pre-activations' cotangents.</summary>
    public IReadOnlyList<Tensor>? ParameterGradients(Tensor inputs, Tensor cotangents)
    {
        using var scope = torch.NewDisposeScope();
        var s = Sensitivities(0, inputs);
        var dq = Cotangents(s.SQ!, cotangents);                                           // (L, B, G, H)
        var (h, _) = Split(inputs);
        long rows = inputs.size(0) * inputs.size(1);
        var weight = Diagonal
            ? (dq * h.unsqueeze(-2)).sum(new long[] { 0, 1 }).reshape(gates * Hidden)
            : torch.matmul(dq.reshape(rows, gates * Hidden).t(), h.reshape(rows, Hidden));
        var grads = new List<Tensor> { weight.MoveToOuterDisposeScope() };
        if (BiasHh is not null) grads.Add(dq.sum(new long[] { 0, 1 }).reshape(gates * Hidden).MoveToOuterDisposeScope());
        return grads;
    }

    /// <summary>(L, B, G·H): dLoss/dP_t, the cotangents of the input pre-activations.</summary>
    public Tensor? StepInputGradients(Tensor inputs, Tensor cotangents)
    {
        using var scope = torch.NewDisposeScope();
        var s = Sensitivities(0, inputs);
        return Cotangents(s.SP ?? s.SQ!, cotangents).reshape(inputs.size(0), inputs.size(1), gates * Hidden).MoveToOuterDisposeScope();
    }

    /// <summary>(n, B, G, H): sum over outputs o of lambda_o ⊙ S[o, g].</summary>
    private Tensor Cotangents(Tensor sensitivity, Tensor cotangents)
    {
        long outputs = sensitivity.size(2);
        return (cotangents.reshape(cotangents.size(0), cotangents.size(1), outputs, 1, Hidden) * sensitivity).sum(2);
    }

    private CellStep Sensitivities(int first, Tensor inputs)
    {
        var (h, c) = Split(inputs);
        return CellMath.Run(Cell, StepInputs.detach().narrow(0, first, inputs.size(0)), Recurrence(h), h, c, sensitivities: true);
    }

    /// <summary>Q = W_hh h + b_hh (n, B, G·H): a product, or the elementwise one of the diagonal cells.</summary>
    private Tensor Recurrence(Tensor h)
    {
        var q = Diagonal ? torch.cat(Enumerable.Repeat(h, gates).ToArray(), -1) * WeightHh : torch.matmul(h, WeightHh.t());
        return BiasHh is null ? q : q + BiasHh;
    }

    private (Tensor H, Tensor? C) Split(Tensor states) =>
        RecurrentCells.HasCellState(Cell) ? (states.narrow(-1, 0, Hidden), states.narrow(-1, Hidden, Hidden)) : (states, null);
}
