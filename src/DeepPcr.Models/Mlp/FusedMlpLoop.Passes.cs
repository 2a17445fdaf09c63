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

    private readonly struct ForwardJob(FusedMlpLoop<T> loop, int batch, int slots, T* states, T* branch) : ITeamJob
    {
        public void Run(int part, int parts)
        {
            var (from, to) = Share(batch, part, parts);
            if (to > from) loop.ForwardShare(batch, slots, states, branch, from, to);
        }
    }
}
