using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Errors;

/// <summary>Refuses results that hold NaN or infinity, naming the step where they first appeared (exit 3).</summary>
public static class NonFinite
{
    /// <summary>Throws <see cref="NumericalFailureException"/> when <paramref name="values"/> holds a non-finite number.</summary>
    /// <param name="values">(steps, ...): indexed by step along the first dimension.</param>
    /// <param name="what">What the values are, e.g. "the states".</param>
    /// <param name="step">What a step is called, e.g. "layer" or "epoch".</param>
    public static void Check(Tensor values, string what, string step)
    {
        if (First(values) is long index)
        {
            throw new NumericalFailureException($"non-finite values (NaN or infinity) in {what}, first at {step} {index + 1} of {values.size(0)}; nothing was written.");
        }
    }

    /// <summary>The first index along dimension 0 whose slice holds a non-finite number, or null.</summary>
    public static long? First(Tensor values)
    {
        using var scope = torch.NewDisposeScope();
        var bad = values.isfinite().logical_not().reshape(values.size(0), -1).any(1);
        if (!bad.any().item<bool>()) return null;
        return bad.nonzero()[0, 0].item<long>();
    }
}
