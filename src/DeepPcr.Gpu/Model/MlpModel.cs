namespace DeepPcr.Gpu.Model;

/// <summary>
/// A deep MLP chain z_{k+1} = act(W_k z_k + b_k), k = 0..L-1, all states of width w, held on the host in
/// float64. Weights (L, w, w) row-major, row i of W_k giving output i; biases (L, w).
/// </summary>
public sealed class MlpModel
{
    /// <summary>Widths the device kernels support (their shared-memory states hold at most this many values).</summary>
    public const int MaxWidth = 64;

    /// <summary>Builds a model after checking shapes and values.</summary>
    /// <param name="layers">L &gt;= 1.</param>
    /// <param name="width">w in 1..<see cref="MaxWidth"/>.</param>
    /// <param name="weights">(L, w, w), row-major.</param>
    /// <param name="biases">(L, w).</param>
    /// <param name="activation">The activation of every layer.</param>
    /// <exception cref="ArgumentException">Sizes that do not fit, or a non-finite value (the message names the layer).</exception>
    public MlpModel(int layers, int width, double[] weights, double[] biases, MlpActivation activation)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(biases);
        if (layers < 1) throw new ArgumentException($"A model needs at least one layer; got {layers}.", nameof(layers));
        if (width < 1 || width > MaxWidth) throw new ArgumentException($"Width {width} is outside 1..{MaxWidth}.", nameof(width));
        if (!Enum.IsDefined(activation)) throw new ArgumentException($"Unknown activation {activation}.", nameof(activation));
        if (weights.LongLength != (long)layers * width * width)
            throw new ArgumentException($"weights hold {weights.LongLength} values; (L, w, w) = ({layers}, {width}, {width}) needs {(long)layers * width * width}.", nameof(weights));
        if (biases.LongLength != (long)layers * width)
            throw new ArgumentException($"biases hold {biases.LongLength} values; (L, w) = ({layers}, {width}) needs {(long)layers * width}.", nameof(biases));
        CheckFinite(weights, width * width, "weight");
        CheckFinite(biases, width, "bias");
        Layers = layers;
        Width = width;
        Weights = weights;
        Biases = biases;
        Activation = activation;
    }

    /// <summary>L: the number of layers.</summary>
    public int Layers { get; }

    /// <summary>w: the width of every state.</summary>
    public int Width { get; }

    /// <summary>(L, w, w) row-major; W_k[i, j] = Weights[(k w + i) w + j].</summary>
    public double[] Weights { get; }

    /// <summary>(L, w).</summary>
    public double[] Biases { get; }

    /// <summary>The activation of every layer.</summary>
    public MlpActivation Activation { get; }

    /// <summary>
    /// A seeded random model: weights N(0, gain^2 / w), biases N(0, 0.01) (standard deviation 0.1), drawn in
    /// float64 layer by layer (all weights first, then all biases) from <see cref="Gaussian"/>(seed).
    /// </summary>
    /// <param name="layers">L.</param>
    /// <param name="width">w.</param>
    /// <param name="gain">The weight scale: below about 1 the tanh chain contracts.</param>
    /// <param name="seed">The generator's seed.</param>
    /// <param name="activation">The activation (tanh by default).</param>
    /// <returns>The model.</returns>
    public static MlpModel Random(int layers, int width, double gain, int seed, MlpActivation activation = MlpActivation.Tanh)
    {
        if (!double.IsFinite(gain) || gain < 0) throw new ArgumentException($"gain must be a finite non-negative number; got {gain}.", nameof(gain));
        if (layers < 1 || width < 1 || width > MaxWidth) throw new ArgumentException($"(L, w) = ({layers}, {width}): L must be >= 1 and w in 1..{MaxWidth}.");
        var random = new Gaussian(seed);
        var weights = random.Next(checked(layers * width * width), gain / Math.Sqrt(width));
        var biases = random.Next(layers * width, 0.1);
        return new MlpModel(layers, width, weights, biases, activation);
    }

    /// <summary>The weights cast to float32 (round to nearest), for the device.</summary>
    public float[] WeightsFloat32() => Array.ConvertAll(Weights, v => (float)v);

    /// <summary>The biases cast to float32, for the device.</summary>
    public float[] BiasesFloat32() => Array.ConvertAll(Biases, v => (float)v);

    /// <summary>The same model with its parameters rounded to float32 and held in float64 again: the exact problem the device solves.</summary>
    public MlpModel RoundedToFloat32() =>
        new(Layers, Width, Array.ConvertAll(Weights, v => (double)(float)v), Array.ConvertAll(Biases, v => (double)(float)v), Activation);

    private static void CheckFinite(double[] values, int perLayer, string what)
    {
        for (long i = 0; i < values.LongLength; i++)
        {
            if (!double.IsFinite(values[i]))
                throw new ArgumentException($"Layer {i / perLayer}: {what} entry {i % perLayer} is {values[i]}; every parameter must be finite.");
        }
    }
}
