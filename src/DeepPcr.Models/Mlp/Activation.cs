using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Models.Mlp;

/// <summary>The activations an MLP layer may use.</summary>
public enum Activation
{
    /// <summary>tanh.</summary>
    Tanh,
    /// <summary>max(0, x); its derivative is taken as 0 at 0.</summary>
    Relu,
    /// <summary>The exact (erf) GELU, x Φ(x).</summary>
    Gelu,
    /// <summary>1 / (1 + e^-x).</summary>
    Sigmoid,
    /// <summary>x.</summary>
    Identity,
}

/// <summary>Values and derivatives of <see cref="Activation"/>s on tensors and scalars.</summary>
public static class Activations
{
    /// <summary>act(x), elementwise.</summary>
    public static Tensor Apply(this Activation activation, Tensor x) => activation switch
    {
        Activation.Tanh => x.tanh(),
        Activation.Relu => x.relu(),
        Activation.Gelu => torch.nn.functional.gelu(x),
        Activation.Sigmoid => x.sigmoid(),
        Activation.Identity => x.alias(),
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    /// <summary>act'(x), elementwise.</summary>
    public static Tensor Derivative(this Activation activation, Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        Tensor d = activation switch
        {
            Activation.Tanh => 1 - x.tanh().square(),
            Activation.Relu => (x > 0).to_type(x.dtype),
            Activation.Gelu => 0.5 * (1 + torch.special.erf(x / Math.Sqrt(2))) + x * torch.exp(-0.5 * x.square()) / Math.Sqrt(2 * Math.PI),
            Activation.Sigmoid => x.sigmoid() * (1 - x.sigmoid()),
            Activation.Identity => torch.ones_like(x),
            _ => throw new ArgumentOutOfRangeException(nameof(activation)),
        };
        return d.MoveToOuterDisposeScope();
    }

    /// <summary>Applies act in place, for the fastest layer-by-layer loop.</summary>
    public static Tensor ApplyInPlace(this Activation activation, Tensor x) => activation switch
    {
        Activation.Tanh => x.tanh_(),
        Activation.Relu => x.relu_(),
        Activation.Gelu => torch.nn.functional.gelu(x),
        Activation.Sigmoid => x.sigmoid_(),
        Activation.Identity => x,
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    /// <summary>Parses "tanh", "relu", "gelu", "sigmoid" or "identity" (any case).</summary>
    /// <exception cref="ArgumentException">Any other name.</exception>
    public static Activation Parse(string name) =>
        Enum.TryParse<Activation>(name, ignoreCase: true, out var a) && Enum.IsDefined(a) && !int.TryParse(name, out _)
            ? a
            : throw new ArgumentException($"Unknown activation '{name}'; use tanh, relu, gelu, sigmoid or identity.");

    /// <summary>The lower-case name used in files and on the command line.</summary>
    public static string Name(this Activation activation) => activation.ToString().ToLowerInvariant();
}
