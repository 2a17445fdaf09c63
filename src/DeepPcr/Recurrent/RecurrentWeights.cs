using DeepPcr.Validation;
using static TorchSharp.torch;

namespace DeepPcr.Recurrent;

/// <summary>
/// The parameters of one direction of one recurrent layer, in PyTorch's layout (G gate rows of H each, in the cell's
/// gate order). The tensors stay the caller's; those that require grad receive gradients through
/// <see cref="RecurrentScan.Apply"/>.
/// </summary>
/// <param name="WeightIh">[G·H, I].</param>
/// <param name="WeightHh">[G·H, H], or [G·H] for the diagonal cells.</param>
/// <param name="BiasIh">[G·H], or null (counts as zero).</param>
/// <param name="BiasHh">[G·H], or null (counts as zero).</param>
public sealed record RecurrentWeights(Tensor WeightIh, Tensor WeightHh, Tensor? BiasIh, Tensor? BiasHh)
{
    /// <summary>The weights of a cell, checked (<see cref="Validate"/>).</summary>
    /// <exception cref="ArgumentException">Misshapen tensors, mixed dtypes or devices, non-float dtypes, non-finite values.</exception>
    public static RecurrentWeights Create(RecurrentCell cell, Tensor weightIh, Tensor weightHh, Tensor? biasIh = null, Tensor? biasHh = null)
    {
        var weights = new RecurrentWeights(weightIh, weightHh, biasIh, biasHh);
        weights.Validate(cell);
        return weights;
    }

    /// <summary>H, from <see cref="WeightIh"/>'s rows (valid once checked).</summary>
    public int Hidden(RecurrentCell cell) => (int)(WeightIh.size(0) / RecurrentCells.Gates(cell));

    /// <summary>I, the input width.</summary>
    public int InputWidth => (int)WeightIh.size(1);

    /// <summary>The tensors present, in the order WeightIh, WeightHh, BiasIh, BiasHh.</summary>
    public IEnumerable<Tensor> Present => new[] { WeightIh, WeightHh, BiasIh, BiasHh }.Where(t => t is not null)!;

    /// <summary>Throws <see cref="ArgumentException"/> unless the tensors fit the cell: WeightIh [G·H, I] with H, I &gt;= 1,
    /// WeightHh [G·H, H] (or [G·H] for a diagonal cell), biases [G·H]; one float dtype and device; finite values.</summary>
    public void Validate(RecurrentCell cell)
    {
        ArgumentNullException.ThrowIfNull(WeightIh, nameof(WeightIh));
        ArgumentNullException.ThrowIfNull(WeightHh, nameof(WeightHh));
        string name = RecurrentCells.Name(cell);
        int gates = RecurrentCells.Gates(cell);
        TensorChecks.FloatingPoint(WeightIh, "weight_ih");
        if (WeightIh.dim() != 2 || WeightIh.size(0) == 0 || WeightIh.size(0) % gates != 0 || WeightIh.size(1) == 0)
        {
            throw new ArgumentException(
                $"weight_ih has shape {TensorChecks.Format(WeightIh.shape)} but a {name} cell needs [{gates}·H, I] with H, I >= 1 ({gates} gate rows of H each).");
        }
        long rows = WeightIh.size(0);
        if (BiasIh is not null)
        {
            Expect(BiasIh, "bias_ih", $"[{rows}]", rows);
            TensorChecks.SameKind(BiasIh, "bias_ih", WeightIh, "weight_ih");
            TensorChecks.Finite(BiasIh, "bias_ih");
        }
        TensorChecks.Finite(WeightIh, "weight_ih");
        CheckRecurrent(cell, rows / gates, WeightHh, BiasHh, WeightIh, "weight_ih");
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless weight_hh and bias_hh fit a cell of H units and share dtype and
    /// device with <paramref name="like"/>.</summary>
    internal static void CheckRecurrent(RecurrentCell cell, long hidden, Tensor weightHh, Tensor? biasHh, Tensor like, string likeName)
    {
        ArgumentNullException.ThrowIfNull(weightHh);
        int gates = RecurrentCells.Gates(cell);
        long rows = gates * hidden;
        if (RecurrentCells.HasDiagonalRecurrence(cell))
        {
            Expect(weightHh, "weight_hh", $"[{gates}·H] = [{rows}] (a diagonal cell's recurrent weights are one vector per gate)", rows);
        }
        else
        {
            Expect(weightHh, "weight_hh", $"[{gates}·H, H] = [{rows}, {hidden}]", rows, hidden);
        }
        TensorChecks.SameKind(weightHh, "weight_hh", like, likeName);
        TensorChecks.Finite(weightHh, "weight_hh");
        if (biasHh is null) return;
        Expect(biasHh, "bias_hh", $"[{rows}]", rows);
        TensorChecks.SameKind(biasHh, "bias_hh", like, likeName);
        TensorChecks.Finite(biasHh, "bias_hh");
    }

    private static void Expect(Tensor tensor, string label, string wanted, params long[] shape)
    {
        TensorChecks.FloatingPoint(tensor, label);
        if (!tensor.shape.SequenceEqual(shape))
        {
            throw new ArgumentException($"{label} has shape {TensorChecks.Format(tensor.shape)} but {wanted} was expected.");
        }
    }
}
