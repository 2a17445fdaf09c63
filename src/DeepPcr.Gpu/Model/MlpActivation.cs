namespace DeepPcr.Gpu.Model;

/// <summary>The elementwise activation of every layer: z_{k+1} = act(W_k z_k + b_k).</summary>
public enum MlpActivation
{
    /// <summary>tanh; act' = 1 - act^2.</summary>
    Tanh = 0,

    /// <summary>max(0, x); act' = 1 where x &gt; 0, else 0.</summary>
    Relu = 1,

    /// <summary>x; act' = 1 (a linear chain).</summary>
    Identity = 2,
}

/// <summary>Names and float64 host formulas of <see cref="MlpActivation"/>.</summary>
public static class MlpActivations
{
    /// <summary>The names accepted by <see cref="Parse"/>, as written to model files.</summary>
    public static IReadOnlyList<string> Names { get; } = ["tanh", "relu", "identity"];

    /// <summary>Parses a model file's activation name (case-insensitive).</summary>
    /// <param name="name">"tanh", "relu" or "identity".</param>
    /// <returns>The activation.</returns>
    /// <exception cref="ArgumentException">Any other name.</exception>
    public static MlpActivation Parse(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        "tanh" => MlpActivation.Tanh,
        "relu" => MlpActivation.Relu,
        "identity" or "linear" => MlpActivation.Identity,
        _ => throw new ArgumentException($"Unknown activation '{name}'; expected one of {string.Join(", ", Names)}.", nameof(name)),
    };

    /// <summary>The file name of an activation ("tanh", "relu", "identity").</summary>
    /// <param name="activation">The activation.</param>
    /// <returns>Its name.</returns>
    public static string Name(this MlpActivation activation) => activation switch
    {
        MlpActivation.Tanh => "tanh",
        MlpActivation.Relu => "relu",
        MlpActivation.Identity => "identity",
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation."),
    };

    /// <summary>act(x) in float64.</summary>
    /// <param name="activation">The activation.</param>
    /// <param name="x">The pre-activation.</param>
    /// <returns>act(x).</returns>
    public static double Apply(this MlpActivation activation, double x) => activation switch
    {
        MlpActivation.Tanh => Math.Tanh(x),
        MlpActivation.Relu => x > 0 ? x : 0.0,
        _ => x,
    };

    /// <summary>act'(x) in float64.</summary>
    /// <param name="activation">The activation.</param>
    /// <param name="x">The pre-activation.</param>
    /// <returns>The derivative at x.</returns>
    public static double Derivative(this MlpActivation activation, double x) => activation switch
    {
        MlpActivation.Tanh => 1.0 - Math.Tanh(x) * Math.Tanh(x),
        MlpActivation.Relu => x > 0 ? 1.0 : 0.0,
        _ => 1.0,
    };
}
