using DeepPcr.SafeTensors;

namespace DeepPcr.Gpu.Model;

/// <summary>
/// One forward-and-backward problem for a model: the input z_0 (B, w) and the cotangent dLoss/dz_L (B, w),
/// float64 on the host, row-major.
/// </summary>
public sealed class ChainProblem
{
    /// <summary>Builds a problem after checking sizes and values.</summary>
    /// <param name="batch">B &gt;= 1.</param>
    /// <param name="width">w &gt;= 1.</param>
    /// <param name="input">(B, w).</param>
    /// <param name="cotangent">(B, w).</param>
    /// <exception cref="ArgumentException">Sizes that do not fit, or a non-finite value.</exception>
    public ChainProblem(int batch, int width, double[] input, double[] cotangent)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(cotangent);
        if (batch < 1 || width < 1) throw new ArgumentException($"(B, w) = ({batch}, {width}): both must be at least 1.");
        Check(input, batch, width, nameof(input));
        Check(cotangent, batch, width, nameof(cotangent));
        Batch = batch;
        Width = width;
        Input = input;
        Cotangent = cotangent;
    }

    /// <summary>B.</summary>
    public int Batch { get; }

    /// <summary>w.</summary>
    public int Width { get; }

    /// <summary>(B, w): z_0.</summary>
    public double[] Input { get; }

    /// <summary>(B, w): dLoss/dz_L.</summary>
    public double[] Cotangent { get; }

    /// <summary>
    /// A seeded problem: input then cotangent, both N(0, 1), from <see cref="Gaussian"/>(seed + 1000003) so that
    /// they never share numbers with the model drawn from <see cref="Gaussian"/>(seed).
    /// </summary>
    /// <param name="batch">B.</param>
    /// <param name="width">w.</param>
    /// <param name="seed">The seed of the model the problem belongs to.</param>
    /// <returns>The problem, rounded to float32 values (the device's exact input).</returns>
    public static ChainProblem Random(int batch, int width, int seed)
    {
        var random = new Gaussian(unchecked(seed + 1000003));
        var input = Round(random.Next(checked(batch * width), 1.0));
        var cotangent = Round(random.Next(batch * width, 1.0));
        return new ChainProblem(batch, width, input, cotangent);
    }

    /// <summary>Writes <c>input</c> [B, w] and <c>cotangent</c> [B, w] as F32.</summary>
    /// <param name="path">The file to write.</param>
    public void Save(string path)
    {
        var writer = new SafeTensorWriter();
        writer.Add("input", Array.ConvertAll(Input, v => (float)v), [Batch, Width]);
        writer.Add("cotangent", Array.ConvertAll(Cotangent, v => (float)v), [Batch, Width]);
        writer.Save(path);
    }

    private static double[] Round(double[] values) => Array.ConvertAll(values, v => (double)(float)v);

    private static void Check(double[] values, int batch, int width, string name)
    {
        if (values.LongLength != (long)batch * width)
            throw new ArgumentException($"{name} holds {values.LongLength} values; (B, w) = ({batch}, {width}) needs {(long)batch * width}.", name);
        int bad = Array.FindIndex(values, v => !double.IsFinite(v));
        if (bad >= 0) throw new ArgumentException($"{name}[{bad / width}, {bad % width}] is {values[bad]}; every value must be finite.", name);
    }
}
