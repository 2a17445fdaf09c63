using System.Numerics;
using System.Numerics.Tensors;
using DeepPcr.Linear.Kernels;

namespace DeepPcr.Models.Mlp;

/// <summary>The two passes of <see cref="FusedMlpLoop{T}"/> over a share of the batch, as host-team jobs.</summary>
public sealed unsafe partial class FusedMlpLoop<T>
{
    /// <summary>The samples [from, to) of part <paramref name="part"/> of <paramref name="parts"/>.</summary>
    private static (int From, int To) Share(int batch, int part, int parts) => (batch * part / parts, batch * (part + 1) / parts);

    /// <summary>All layers for samples [from, to): state k + 1 in slot (k + 1) % slots, the branch of layer k in slot k % (slots - 1).</summary>
    private void ForwardShare(int batch, int slots, T* states, T* branch, int from, int to)
    {
        int w = Width, n = to - from;
        long rowSize = (long)batch * w, offset = (long)from * w;
        var activation = Activation;
        bool keepsBranch = KeepsBranch;
        fixed (T* columnsOf = columns, biasesOf = biases)
        {
            for (int k = 0; k < Layers; k++)
            {
                T* input = states + k % slots * rowSize + offset;
                T* output = states + (k + 1) % slots * rowSize + offset;
                T* pre = keepsBranch ? branch + k % (slots - 1) * rowSize + offset : output;
                FusedMlpKernels.Combine(new Combination<T>
                {
                    Target = pre, TargetStride = w, Start = biasesOf + (long)k * w, StartStride = 0,
                    Rows = columnsOf + (long)k * w * w, RowStride = w,
                    Coefficients = input, CoefficientStride = 1, CoefficientRepeatStride = w, Count = w, Repeats = n,
                }, w);
                var values = new Span<T>(pre, n * w);
                if (!IsResidual && keepsBranch)
                {
                    // GELU: the pre-activation stays on the tape for the slope; the value goes to the state.
                    for (int e = 0; e < values.Length; e++) output[e] = HostActivation.Value(activation, values[e]);
                    continue;
                }
                HostActivation.ApplyInPlace(activation, values);
                if (IsResidual) TensorPrimitives.MultiplyAdd(values, step, new ReadOnlySpan<T>(input, n * w), new Span<T>(output, n * w));
            }
        }
    }

    /// <summary>The backward pass for samples [from, to), gradients of their share into gw (L, w, w) and gb (L, w).</summary>
    private void BackwardShare(int batch, T* states, T* branch, T* delta, T* cotangent, T* gw, T* gb, T* gx, int from, int to)
    {
        int w = Width, n = to - from;
        long rowSize = (long)batch * w, offset = (long)from * w;
        T* lambda = gx + offset;
        new ReadOnlySpan<T>(cotangent + offset, n * w).CopyTo(new Span<T>(lambda, n * w));
        T* d = delta + offset;
        T one = T.One;
        var activation = Activation;
        bool fromBranch = KeepsBranch;
        fixed (T* rowsOf = rows)
        {
            for (int k = Layers - 1; k >= 0; k--)
            {
                T* input = states + k * rowSize + offset;
                T* kept = fromBranch ? branch + k * rowSize + offset : states + (k + 1) * rowSize + offset;
                if (!IsResidual && fromBranch) GeluDelta(kept, lambda, d, n * w);
                else FusedMlpKernels.Delta(activation, kept, lambda, d, n * w, step);
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
                    Target = lambda, TargetStride = w, Start = IsResidual ? lambda : null, StartStride = w,
                    Rows = rowsOf + (long)k * w * w, RowStride = w,
                    Coefficients = d, CoefficientStride = 1, CoefficientRepeatStride = w, Count = w, Repeats = n,
                }, w);
            }
        }
    }

    /// <summary>delta = act'(pre) * lambda for an activation whose slope needs the pre-activation (GELU).</summary>
    private void GeluDelta(T* pre, T* lambda, T* delta, int count)
    {
        for (int e = 0; e < count; e++) delta[e] = HostActivation.Slope(Activation, pre[e]) * lambda[e];
    }

    private readonly struct ForwardJob(FusedMlpLoop<T> loop, int batch, int slots, T* states, T* branch) : ITeamJob
    {
        public void Run(int part, int parts)
        {
            var (from, to) = Share(batch, part, parts);
            if (to > from) loop.ForwardShare(batch, slots, states, branch, from, to);
        }
    }

    private readonly struct BackwardJob(FusedMlpLoop<T> loop, int batch, T* states, T* branch, T* delta, T* cotangent, T* gw, T* gb, T* gx, T* partials)
        : ITeamJob
    {
        public void Run(int part, int parts)
        {
            var (from, to) = Share(batch, part, parts);
            long weightSize = (long)loop.Layers * loop.Width * loop.Width;
            T* w = part == 0 ? gw : partials + (part - 1) * (weightSize + (long)loop.Layers * loop.Width);
            T* b = part == 0 ? gb : w + weightSize;
            if (to > from)
            {
                loop.BackwardShare(batch, states, branch, delta, cotangent, w, b, gx, from, to);
                return;
            }
            new Span<T>(w, (int)weightSize).Clear();
            new Span<T>(b, loop.Layers * loop.Width).Clear();
        }
    }
}
