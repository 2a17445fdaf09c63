using DeepPcr.Gpu.Model;

namespace DeepPcr.Gpu.Recurrent;

/// <summary>
/// One diagonal recurrent layer in PyTorch's parameter layout, float64 on the host: <c>weight_ih</c> [3H, I],
/// <c>weight_hh</c> [3H] (the diagonal recurrent weights), <c>bias_ih</c> and <c>bias_hh</c> [3H], gate rows in the
/// cell's order (<see cref="RecurrentCell"/>).
/// </summary>
public sealed class RecurrentModel
{
    /// <summary>Builds a model after checking shapes and values.</summary>
    /// <param name="cell">The cell.</param>
    /// <param name="hidden">H &gt;= 1.</param>
    /// <param name="inputSize">I &gt;= 1.</param>
    /// <param name="weightIh">[3H, I], row-major.</param>
    /// <param name="weightHh">[3H].</param>
    /// <param name="biasIh">[3H].</param>
    /// <param name="biasHh">[3H].</param>
    /// <exception cref="ArgumentException">A size that does not fit, or a value that is not finite (the message names the tensor).</exception>
    public RecurrentModel(RecurrentCell cell, int hidden, int inputSize, double[] weightIh, double[] weightHh, double[] biasIh, double[] biasHh)
    {
        if (!Enum.IsDefined(cell)) throw new ArgumentException($"Unknown cell {cell}.", nameof(cell));
        if (hidden < 1 || inputSize < 1) throw new ArgumentException($"(H, I) = ({hidden}, {inputSize}): both must be at least 1.");
        int gates = checked(RecurrentCells.Gates * hidden);
        Check(weightIh, checked(gates * inputSize), "weight_ih", $"[{gates}, {inputSize}]");
        Check(weightHh, gates, "weight_hh", $"[{gates}]");
        Check(biasIh, gates, "bias_ih", $"[{gates}]");
        Check(biasHh, gates, "bias_hh", $"[{gates}]");
        Cell = cell;
        Hidden = hidden;
        InputSize = inputSize;
        WeightIh = weightIh;
        WeightHh = weightHh;
        BiasIh = biasIh;
        BiasHh = biasHh;
    }

    /// <summary>The cell.</summary>
    public RecurrentCell Cell { get; }

    /// <summary>H.</summary>
    public int Hidden { get; }

    /// <summary>I.</summary>
    public int InputSize { get; }

    /// <summary>S = k H: the width of the chain's state (h, or (h, c) for lstm-cifg-diag).</summary>
    public int StateWidth => Cell.BlockSize() * Hidden;

    /// <summary>[3H, I] row-major.</summary>
    public double[] WeightIh { get; }

    /// <summary>[3H]: the diagonal recurrent weights.</summary>
    public double[] WeightHh { get; }

    /// <summary>[3H].</summary>
    public double[] BiasIh { get; }

    /// <summary>[3H].</summary>
    public double[] BiasHh { get; }

    /// <summary>
    /// A seeded model with PyTorch's default initialisation U(-1/√H, 1/√H) for every parameter (the diagonal
    /// <c>weight_hh</c> too), drawn in the order weight_ih, weight_hh, bias_ih, bias_hh and rounded to float32 (the
    /// device's exact parameters, so that the float64 reference solves the same problem).
    /// </summary>
    /// <param name="cell">The cell.</param>
    /// <param name="hidden">H.</param>
    /// <param name="inputSize">I.</param>
    /// <param name="seed">The seed.</param>
    /// <returns>The model.</returns>
    public static RecurrentModel Random(RecurrentCell cell, int hidden, int inputSize, int seed)
    {
        if (hidden < 1 || inputSize < 1) throw new ArgumentException($"(H, I) = ({hidden}, {inputSize}): both must be at least 1.");
        var random = new Random(seed);
        double bound = 1.0 / Math.Sqrt(hidden);
        int gates = checked(RecurrentCells.Gates * hidden);
        double[] Draw(int count) => Enumerable.Range(0, count).Select(_ => (double)(float)(bound * (2 * random.NextDouble() - 1))).ToArray();
        var weightIh = Draw(checked(gates * inputSize));
        var weightHh = Draw(gates);
        var biasIh = Draw(gates);
        var biasHh = Draw(gates);
        return new RecurrentModel(cell, hidden, inputSize, weightIh, weightHh, biasIh, biasHh);
    }

    /// <summary>The four parameters in float32, in the order weight_ih, weight_hh, bias_ih, bias_hh.</summary>
    public float[][] ParametersFloat32() => [ToFloat(WeightIh), ToFloat(WeightHh), ToFloat(BiasIh), ToFloat(BiasHh)];

    internal static float[] ToFloat(double[] values) => Array.ConvertAll(values, v => (float)v);

    internal static void Check(double[] values, long expected, string name, string shape)
    {
        ArgumentNullException.ThrowIfNull(values, name);
        if (values.LongLength != expected) throw new ArgumentException($"{name} holds {values.LongLength} values; {shape} needs {expected}.", name);
        long bad = Array.FindIndex(values, v => !double.IsFinite(v));
        if (bad >= 0) throw new ArgumentException($"{name}[{bad}] is {values[bad]}; every value must be finite.", name);
    }
}
