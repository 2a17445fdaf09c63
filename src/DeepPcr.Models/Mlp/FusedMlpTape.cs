using System.Numerics;

namespace DeepPcr.Models.Mlp;

/// <summary>
/// What a forward pass of <see cref="FusedMlpLoop{T}"/> keeps for its backward pass, and the backward pass's
/// scratch: allocated once per batch size, so that neither pass allocates.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class FusedMlpTape<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    internal FusedMlpTape(int layers, int width, int batch, bool keepsBranch)
    {
        Layers = layers;
        Width = width;
        Batch = batch;
        States = new T[(long)(layers + 1) * batch * width];
        Branch = keepsBranch ? new T[(long)layers * batch * width] : [];
        Delta = new T[(long)batch * width];
    }

    /// <summary>L.</summary>
    public int Layers { get; }

    /// <summary>w.</summary>
    public int Width { get; }

    /// <summary>B.</summary>
    public int Batch { get; }

    /// <summary>(L + 1, B, w) row-major: z_0 (the input) .. z_L, written by the forward pass.</summary>
    public T[] States { get; }

    /// <summary>
    /// (L, B, w): per layer what the backward pass reads the slope from where the next state does not give it:
    /// act(W z + b) in the residual form, W z + b for GELU; empty otherwise.
    /// </summary>
    internal T[] Branch { get; }

    /// <summary>(B, w): the backward pass's act'(W z + b) * lambda of the current layer.</summary>
    internal T[] Delta { get; }

    /// <summary>(parts - 1, L (w + 1) w): the weight and bias gradients of every part but the first, summed at the end.</summary>
    internal T[] Partials { get; private set; } = [];

    /// <summary>Ensures room for the partial gradients of <paramref name="parts"/> parts.</summary>
    internal void EnsurePartials(int parts)
    {
        long size = (long)(parts - 1) * Layers * (Width + 1) * Width;
        if (Partials.LongLength < size) Partials = new T[size];
    }
}
