using System.Numerics;

namespace DeepPcr.Newton;

/// <summary>
/// The error estimate of a chain solved in windows, handed from each window to the next (docs/algorithm.md, "The error
/// estimate"): a first-order model of the error of the window's last state, and the largest estimate over every state
/// solved so far. It is a report, not a stopping test: each window's Newton loop stops on its own estimate.
/// </summary>
/// <param name="Probe">(B, w) row-major: a first-order model of the error vector of the last state solved.</param>
/// <param name="Bound">The largest error estimate over every state solved so far (max over samples, states and values).</param>
public sealed record CarriedError(double[] Probe, double Bound)
{
    /// <summary>Each sample's largest probe value: the error estimate of its last state (B).</summary>
    /// <param name="batch">B.</param>
    public double[] PerSample(int batch)
    {
        int width = Probe.Length / batch;
        var result = new double[batch];
        for (int b = 0; b < batch; b++)
        {
            for (int i = 0; i < width; i++) result[b] = Math.Max(result[b], Math.Abs(Probe[b * width + i]));
        }
        return result;
    }

    /// <summary>A probe whose every value of sample b is <paramref name="perSample"/>[b] (for scalar error scans).</summary>
    /// <param name="perSample">(B): each sample's error estimate of its last state.</param>
    /// <param name="width">w.</param>
    /// <param name="bound">The largest estimate over the chain so far.</param>
    public static CarriedError Uniform(IReadOnlyList<double> perSample, int width, double bound)
    {
        var probe = new double[perSample.Count * width];
        for (int k = 0; k < probe.Length; k++) probe[k] = perSample[k / width];
        return new CarriedError(probe, bound);
    }
}

/// <summary>
/// The whole-chain error estimate of exact Newton's kept states z_1..z_n of one window (docs/algorithm.md, "The error
/// estimate"), from the error x_0 carried in with its start state: x_l = A_l x_{l-1} + rho_l, with A_l the exact
/// Jacobian at the kept states and rho_l the rounding of the step that made z_l, eps (|z_l| + |A_l| |z_{l-1}|) per
/// value (the state's own rounding and that of the sums A z_{l-1} feeding it, the usual model of a matrix-vector
/// product's rounding), added with the sign of A_l x_{l-1} so that roundings never cancel in the model; each value is
/// held to twice the state's scale max |z_l| (beyond it no digit is right, and the linear model would grow without
/// bound on a chaotic chain). The estimate of state l is |x_l| + |z_l' - z_l|: the carried and rounding error plus the
/// window's own error, its last Newton update z' - z. The next window starts from the own error of z_n, -(z_n' - z_n),
/// plus x_n with whichever sign cancels less (the rounding model's sign is arbitrary). The probe is a vector carried
/// from window to window, so it turns with the chain's dominant direction as the true error does; a scalar times a
/// per-window gain would not.
/// </summary>
public static class ErrorProbe
{
    /// <summary>For the Jacobian A of one row (step l, sample b) at the kept states: y = A x, and sums = |A| |z_{l-1}|
    /// (entrywise magnitudes; z_{l-1} the step's input).</summary>
    /// <param name="row">l B + b.</param>
    /// <param name="x">(w): the error carried into the step.</param>
    /// <param name="y">(w): receives A x.</param>
    /// <param name="sums">(w): receives |A| |z_{l-1}|.</param>
    public delegate void ApplyRow(long row, ReadOnlySpan<double> x, Span<double> y, Span<double> sums);

    /// <summary>The estimate over the window's states and the error it hands on.</summary>
    /// <param name="batch">B.</param>
    /// <param name="width">w.</param>
    /// <param name="apply">The Jacobians at the kept states.</param>
    /// <param name="states">(n, B, w): the kept states z_1..z_n.</param>
    /// <param name="next">(n, B, w): the next Newton iterate z' at z (z' - z is the window's own error).</param>
    /// <param name="epsilon">The machine epsilon of the states' dtype.</param>
    /// <param name="carried">The error of the start state, or null for an exact start.</param>
    public static CarriedError Propagate<T>(
        int batch, int width, ApplyRow apply, ReadOnlySpan<T> states, ReadOnlySpan<T> next, double epsilon, CarriedError? carried)
        where T : IFloatingPointIeee754<T>
    {
        var x = carried?.Probe.ToArray() ?? new double[batch * width];
        double bound = carried?.Bound ?? 0;
        var y = new double[width];
        var sums = new double[width];
        long rows = states.Length / width;
        for (long row = 0; row < rows; row++)
        {
            int offset = (int)(row * width);
            var probe = x.AsSpan((int)(row % batch) * width, width);
            apply(row, probe, y, sums);
            var z = states.Slice(offset, width);
            double cap = 2 * Scale(z), worst = 0;
            for (int i = 0; i < width; i++)
            {
                double rounding = epsilon * (Magnitude(z[i]) + sums[i]);
                probe[i] = Math.Clamp(y[i] + (y[i] < 0 ? -rounding : rounding), -cap, cap);
                double total = Math.Abs(probe[i]) + Magnitude(next[offset + i] - z[i]);
                if (!(total <= worst)) worst = total; // NaN sticks
            }
            if (!(worst <= bound)) bound = worst;
        }
        AddOwnError(x, states, next, width);
        return new CarriedError(x, bound);
    }

    /// <summary>
    /// x := s x - (z_n' - z_n) for the last state of every sample, held to twice its scale: the own error of z_n is
    /// -(z_n' - z_n) with its sign (Newton's next iterate is far closer), while the sign of the rounding model is
    /// arbitrary, so s = +1 or -1, whichever cancels less.
    /// </summary>
    private static void AddOwnError<T>(double[] x, ReadOnlySpan<T> states, ReadOnlySpan<T> next, int width)
        where T : IFloatingPointIeee754<T>
    {
        int last = states.Length - x.Length;
        if (last < 0) return;
        for (int b = 0; b < x.Length / width; b++)
        {
            var z = states.Slice(last + b * width, width);
            var probe = x.AsSpan(b * width, width);
            double same = 0, flipped = 0;
            for (int i = 0; i < width; i++)
            {
                double own = double.CreateTruncating(next[last + b * width + i] - z[i]);
                same = Math.Max(same, Math.Abs(probe[i] - own));
                flipped = Math.Max(flipped, Math.Abs(probe[i] + own));
            }
            double sign = flipped > same ? -1 : 1, cap = 2 * Scale(z);
            for (int i = 0; i < width; i++)
            {
                double own = double.CreateTruncating(next[last + b * width + i] - z[i]);
                probe[i] = Math.Clamp(sign * probe[i] - own, -cap, cap);
            }
        }
    }

    private static double Scale<T>(ReadOnlySpan<T> z) where T : IFloatingPointIeee754<T>
    {
        double scale = 0;
        foreach (var v in z) scale = Math.Max(scale, Magnitude(v));
        return scale;
    }

    private static double Magnitude<T>(T value) where T : IFloatingPointIeee754<T> => double.CreateTruncating(T.Abs(value));

    /// <summary>The machine epsilon of <typeparamref name="T"/>: the gap between 1 and the next larger value.</summary>
    public static double Epsilon<T>() where T : IFloatingPointIeee754<T> => double.CreateTruncating(T.BitIncrement(T.One) - T.One);
}
