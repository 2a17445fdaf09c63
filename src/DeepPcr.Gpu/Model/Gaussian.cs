namespace DeepPcr.Gpu.Model;

/// <summary>
/// Seeded standard normal numbers in float64 (Box–Muller on <see cref="Random"/>): the same seed gives the same
/// numbers on every machine and .NET version, so benchmark problems are reproducible and can be saved for peers.
/// </summary>
public sealed class Gaussian
{
    private readonly Random _random;
    private double? _spare;

    /// <summary>A generator with the given seed.</summary>
    /// <param name="seed">Any integer.</param>
    public Gaussian(int seed) => _random = new Random(seed);

    /// <summary>The next N(0, 1) number.</summary>
    /// <returns>A standard normal sample.</returns>
    public double Next()
    {
        if (_spare is double spare)
        {
            _spare = null;
            return spare;
        }
        double u1 = 1.0 - _random.NextDouble();   // (0, 1]: log is finite
        double u2 = _random.NextDouble();
        double radius = Math.Sqrt(-2.0 * Math.Log(u1));
        _spare = radius * Math.Sin(2.0 * Math.PI * u2);
        return radius * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>n samples of N(0, std^2).</summary>
    /// <param name="count">How many.</param>
    /// <param name="std">The standard deviation.</param>
    /// <returns>A new array.</returns>
    public double[] Next(int count, double std)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var values = new double[count];
        for (int i = 0; i < count; i++) values[i] = std * Next();
        return values;
    }
}
