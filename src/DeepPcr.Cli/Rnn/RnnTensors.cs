using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Rnn;

/// <summary>
/// A point's seeded tensors in PyTorch's layout: weights drawn as PyTorch's default U(-1/√H, 1/√H) (the diagonal
/// recurrent weight too), the input and the cotangent of the output N(0, 1); drawn in float64 and rounded to the
/// timed dtype, so that every dtype holds the same numbers.
/// </summary>
/// <param name="WeightIh">[G·H, I].</param>
/// <param name="WeightHh">[G·H, H], or [G·H] for the diagonal cells.</param>
/// <param name="BiasIh">[G·H].</param>
/// <param name="BiasHh">[G·H].</param>
/// <param name="Input">[T, B, I].</param>
/// <param name="Cotangent">[T, B, H]: the backward pass's loss is sum(output ⊙ cotangent).</param>
public sealed record RnnTensors(Tensor WeightIh, Tensor WeightHh, Tensor BiasIh, Tensor BiasHh, Tensor Input, Tensor Cotangent)
{
    /// <summary>The point's tensors in float64 (in the caller's dispose scope).</summary>
    public static RnnTensors Draw(RnnPoint point)
    {
        var g = new Generator((ulong)point.Seed);
        double bound = 1 / Math.Sqrt(point.Hidden);
        long rows = (long)point.Gates * point.Hidden;
        Tensor Uniform(params long[] shape) => (torch.rand(shape, dtype: ScalarType.Float64, generator: g) * 2 - 1) * bound;
        var weightIh = Uniform(rows, point.Inputs);
        var weightHh = point.Diagonal ? Uniform(rows) : Uniform(rows, point.Hidden);
        var biasIh = Uniform(rows);
        var biasHh = Uniform(rows);
        var input = torch.randn(new long[] { point.Steps, point.Batch, point.Inputs }, dtype: ScalarType.Float64, generator: g);
        var cotangent = torch.randn(new long[] { point.Steps, point.Batch, point.Hidden }, dtype: ScalarType.Float64, generator: g);
        return new RnnTensors(weightIh, weightHh, biasIh, biasHh, input, cotangent);
    }

    /// <summary>Every tensor converted to <paramref name="dtype"/>.</summary>
    public RnnTensors To(ScalarType dtype) => new(WeightIh.to_type(dtype), WeightHh.to_type(dtype), BiasIh.to_type(dtype), BiasHh.to_type(dtype),
        Input.to_type(dtype), Cotangent.to_type(dtype));

    /// <summary>The parameters by PyTorch's names for layer 0.</summary>
    public IEnumerable<(string Name, Tensor Value)> Parameters() => new[]
    {
        ("weight_ih_l0", WeightIh), ("weight_hh_l0", WeightHh), ("bias_ih_l0", BiasIh), ("bias_hh_l0", BiasHh),
    };
}
