using DeepPcr.Gpu.Model;

namespace DeepPcr.Gpu.Recurrent;

/// <summary>
/// One forward-and-backward problem for a recurrent layer, float64 on the host, batch first as PyTorch's
/// <c>batch_first</c>: the input x [B, T, I], the initial state [B, S] (h_0, then c_0 for lstm-cifg-diag, S = k H) and
/// the cotangent of the output [B, T, H] (dLoss/dh_t for every t).
/// </summary>
public sealed class RecurrentProblem
{
    /// <summary>Builds a problem after checking sizes and values.</summary>
    /// <param name="batch">B &gt;= 1.</param>
    /// <param name="length">T &gt;= 1.</param>
    /// <param name="model">The model it is for (H, I, S).</param>
    /// <param name="input">[B, T, I].</param>
    /// <param name="initialState">[B, S].</param>
    /// <param name="cotangent">[B, T, H].</param>
    /// <exception cref="ArgumentException">A size that does not fit, or a value that is not finite.</exception>
    public RecurrentProblem(int batch, int length, RecurrentModel model, double[] input, double[] initialState, double[] cotangent)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (batch < 1 || length < 1) throw new ArgumentException($"(B, T) = ({batch}, {length}): both must be at least 1.");
        long rows = (long)batch * length;
        RecurrentModel.Check(input, rows * model.InputSize, "input", $"[{batch}, {length}, {model.InputSize}]");
        RecurrentModel.Check(initialState, (long)batch * model.StateWidth, "initial state", $"[{batch}, {model.StateWidth}]");
        RecurrentModel.Check(cotangent, rows * model.Hidden, "cotangent", $"[{batch}, {length}, {model.Hidden}]");
        Batch = batch;
        Length = length;
        Input = input;
        InitialState = initialState;
        Cotangent = cotangent;
    }

    /// <summary>B.</summary>
    public int Batch { get; }

    /// <summary>T.</summary>
    public int Length { get; }

    /// <summary>[B, T, I].</summary>
    public double[] Input { get; }

    /// <summary>[B, S]: h_0 (and c_0).</summary>
    public double[] InitialState { get; }

    /// <summary>[B, T, H]: dLoss/d output.</summary>
    public double[] Cotangent { get; }

    /// <summary>
    /// A seeded problem: x ~ N(0, 1), the initial state N(0, 0.25) and the cotangent N(0, 1), rounded to float32 (the
    /// device's exact input). Each tensor is drawn in chunks of 2^20 values, chunk c from its own
    /// <see cref="Gaussian"/>(seed, tensor, c), in parallel: the same numbers on any number of threads, and seconds
    /// instead of minutes for the benchmark's largest inputs (T = 2^20, B = 8, I = 64).
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="batch">B.</param>
    /// <param name="length">T.</param>
    /// <param name="seed">The seed.</param>
    /// <returns>The problem.</returns>
    public static RecurrentProblem Random(RecurrentModel model, int batch, int length, int seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (batch < 1 || length < 1) throw new ArgumentException($"(B, T) = ({batch}, {length}): both must be at least 1.");
        long rows = (long)batch * length;
        var input = Draw(rows * model.InputSize, 1.0, seed, 1);
        var initial = Draw((long)batch * model.StateWidth, 0.5, seed, 2);
        var cotangent = Draw(rows * model.Hidden, 1.0, seed, 3);
        return new RecurrentProblem(batch, length, model, input, initial, cotangent);
    }

    private const int ChunkValues = 1 << 20;

    private static double[] Draw(long count, double std, int seed, int tensor)
    {
        var values = new double[checked((int)count)];
        int chunks = (int)((count + ChunkValues - 1) / ChunkValues);
        Parallel.For(0, chunks, c =>
        {
            var random = new Gaussian(unchecked(seed * 1000003 + tensor * 7919 + c * 104729));
            int first = c * ChunkValues, end = (int)Math.Min(count, first + (long)ChunkValues);
            for (int i = first; i < end; i++) values[i] = (float)(std * random.Next());
        });
        return values;
    }
}
