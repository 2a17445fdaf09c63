using System.Numerics;
using System.Numerics.Tensors;
using DeepPcr.Linear.Kernels;

namespace DeepPcr.Models.Mlp;

/// <summary>
/// The fused MLP backward pass over given memory, shared by <see cref="FusedMlpLoop{T}"/> (its own weight copy and
/// tape) and <see cref="MlpChain"/> (its parameters and the sequential pass's states, read in place). It walks the
/// layers from L down to 1: lambda += g_{k+1} (for cotangents on every state), delta = h act'(W_k z_k + b_k) * lambda
/// with act' read from the kept values, dW_k = sum_b delta z_k^T, db_k = sum_b delta, and lambda = W_k^T delta (plus
/// lambda in the residual form), so that nothing is recomputed and no Jacobian is built. The batch is split over the
/// host team when the caller asks for several parts; each part's weight and bias gradients land in its own slice of
/// <see cref="Partials"/> and are summed at the end.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
internal readonly unsafe struct FusedMlpBackward<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>L.</summary>
    public int Layers { get; init; }

    /// <summary>w.</summary>
    public int Width { get; init; }

    /// <summary>B.</summary>
    public int Batch { get; init; }

    /// <summary>The activation of every layer (unless <see cref="PerLayer"/> is given).</summary>
    public Activation Activation { get; init; }

    /// <summary>The activation of each layer, L of them, or null when <see cref="Activation"/> serves every layer.</summary>
    public Activation[]? PerLayer { get; init; }

    /// <summary>h of the residual form; 1 in the plain form.</summary>
    public T Step { get; init; }

    /// <summary>The residual form z + h act(W z + b).</summary>
    public bool Residual { get; init; }

    /// <summary>act' is read from <see cref="Branch"/> (the residual branch's activations, or GELU's pre-activations)
    /// rather than from the next state.</summary>
    public bool FromBranch { get; init; }

    /// <summary>(L, w, w): W_k row-major.</summary>
    public T* Rows { get; init; }

    /// <summary>(B, w): z_0.</summary>
    public T* Start { get; init; }

    /// <summary>(L, B, w): z_1..z_L.</summary>
    public T* States { get; init; }

    /// <summary>(L, B, w) when <see cref="FromBranch"/>; else unused.</summary>
    public T* Branch { get; init; }

    /// <summary>(B, w): scratch for delta.</summary>
    public T* Delta { get; init; }

    /// <summary>(B, w): dLoss/dz_L; or, with <see cref="PerState"/>, (L, B, w): g_1..g_L.</summary>
    public T* Cotangents { get; init; }

    /// <summary>Whether <see cref="Cotangents"/> holds a cotangent for every state.</summary>
    public bool PerState { get; init; }

    /// <summary>(L, B, w), written: lambda_1..lambda_L (dLoss/dz_l); null when not wanted.</summary>
    public T* Lambdas { get; init; }

    /// <summary>(B, w), written: dLoss/dz_0.</summary>
    public T* InputGradient { get; init; }

    /// <summary>(L, w, w), overwritten.</summary>
    public T* WeightGradients { get; init; }

    /// <summary>(L, w), overwritten.</summary>
    public T* BiasGradients { get; init; }

    /// <summary>(parts - 1, L (w + 1) w): the other parts' gradients; null for one part.</summary>
    public T* Partials { get; init; }

    /// <summary>Runs the pass in <paramref name="parts"/> shares of the batch (1: on the calling thread).</summary>
    public void Run(int parts)
    {
        if (parts > 1) HostTeam.Run(new Job(this));
        else Share(WeightGradients, BiasGradients, 0, Batch);
        long weightSize = (long)Layers * Width * Width, biasSize = (long)Layers * Width;
        for (int p = 1; p < parts; p++)
        {
            T* part = Partials + (p - 1) * (weightSize + biasSize);
            TensorPrimitives.Add(new ReadOnlySpan<T>(WeightGradients, (int)weightSize), new ReadOnlySpan<T>(part, (int)weightSize), new Span<T>(WeightGradients, (int)weightSize));
            TensorPrimitives.Add(new ReadOnlySpan<T>(BiasGradients, (int)biasSize), new ReadOnlySpan<T>(part + weightSize, (int)biasSize), new Span<T>(BiasGradients, (int)biasSize));
        }
    }

    /// <summary>The pass for samples [from, to), their weight and bias gradients into gw (L, w, w) and gb (L, w).</summary>
    private void Share(T* gw, T* gb, int from, int to)
    {
        int w = Width, n = to - from;
        long rowSize = (long)Batch * w, offset = (long)from * w;
        if (n == 0)
        {
            new Span<T>(gw, Layers * w * w).Clear();
            new Span<T>(gb, Layers * w).Clear();
            return;
        }
        T* lambda = InputGradient + offset;
        var running = new Span<T>(lambda, n * w);
        if (PerState) running.Clear();
        else new ReadOnlySpan<T>(Cotangents + offset, n * w).CopyTo(running);
        T* d = Delta + offset;
        T one = T.One;
        for (int k = Layers - 1; k >= 0; k--)
        {
            if (PerState) TensorPrimitives.Add(running, new ReadOnlySpan<T>(Cotangents + k * rowSize + offset, n * w), running);
            if (Lambdas is not null) running.CopyTo(new Span<T>(Lambdas + k * rowSize + offset, n * w));
            T* input = (k == 0 ? Start : States + (k - 1) * rowSize) + offset;
            T* kept = FromBranch ? Branch + k * rowSize + offset : States + k * rowSize + offset;
            var activation = PerLayer?[k] ?? Activation;
            if (!Residual && FromBranch)
            {
                for (int e = 0; e < n * w; e++) d[e] = HostActivation.Slope(activation, kept[e]) * lambda[e];
            }
            else
            {
                FusedMlpKernels.Delta(activation, kept, lambda, d, n * w, Step);
            }
            // dW_k = sum_b delta_b z_b^T (row i: the inputs weighted by delta_i); db_k = sum_b delta_b.
            FusedMlpKernels.Combine(new Combination<T>
            {
                Target = gw + (long)k * w * w, TargetStride = w, Rows = input, RowStride = w,
                Coefficients = d, CoefficientStride = w, CoefficientRepeatStride = 1, Count = n, Repeats = w,
            }, w);
            FusedMlpKernels.Combine(new Combination<T>
            {
                Target = gb + (long)k * w, Rows = d, RowStride = w, Coefficients = &one, Count = n, Repeats = 1,
            }, w);
            // lambda = W_k^T delta (+ lambda in the residual form).
            FusedMlpKernels.Combine(new Combination<T>
            {
                Target = lambda, TargetStride = w, Start = Residual ? lambda : null, StartStride = w,
                Rows = Rows + (long)k * w * w, RowStride = w,
                Coefficients = d, CoefficientStride = 1, CoefficientRepeatStride = w, Count = w, Repeats = n,
            }, w);
        }
    }

    private readonly struct Job(FusedMlpBackward<T> pass) : ITeamJob
    {
        public void Run(int part, int parts)
        {
            int batch = pass.Batch;
            int from = batch * part / parts, to = batch * (part + 1) / parts;
            long weightSize = (long)pass.Layers * pass.Width * pass.Width;
            T* gw = part == 0 ? pass.WeightGradients : pass.Partials + (part - 1) * (weightSize + (long)pass.Layers * pass.Width);
            T* gb = part == 0 ? pass.BiasGradients : gw + weightSize;
            pass.Share(gw, gb, from, to);
        }
    }
}
