using DeepPcr.Chains;
using DeepPcr.Engines;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Solvers;

/// <summary>
/// The plain sequential pass z_{k+1} = f_k(z_k), one step after another: the reference every parallel
/// method is compared with, and the fallback of last resort. It runs in the caller's grad mode, so under
/// autograd the states are differentiable.
/// </summary>
public static class SequentialPass
{
    /// <summary>Runs all L steps from z_0.</summary>
    /// <param name="step">The chain step.</param>
    /// <param name="input">(B, w): z_0.</param>
    /// <returns>(L, B, w): z_1..z_L.</returns>
    /// <exception cref="ArgumentException">The input does not fit the chain, or holds a non-finite value.</exception>
    public static Tensor Run(IChainStep step, Tensor input)
    {
        ChainInput.Validate(step, input);
        return RunFrom(step, 0, step.Length, input);
    }

    /// <summary>Runs steps first..first+count-1 from the state z_first, without checking arguments.</summary>
    /// <returns>(count, B, w): z_{first+1}..z_{first+count}.</returns>
    internal static Tensor RunFrom(IChainStep step, int first, int count, Tensor start)
    {
        if (EngineSelection.ForSequential(step, start) == ChainEngine.Host)
        {
            var host = (IHostChainStep)step;
            return start.dtype == ScalarType.Float32 ? RunOnHost<float>(host, first, count, start) : RunOnHost<double>(host, first, count, start);
        }
        using var scope = torch.NewDisposeScope();
        var states = new Tensor[count];
        var z = start.unsqueeze(0);
        for (int k = 0; k < count; k++)
        {
            z = step.Evaluate(first + k, z);
            states[k] = z;
        }
        return torch.cat(states, 0).MoveToOuterDisposeScope();
    }

    /// <summary>The fused sequential loop: one host evaluation per step, no framework call in the loop.</summary>
    private static Tensor RunOnHost<T>(IHostChainStep step, int first, int count, Tensor start) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        int batch = (int)start.size(0);
        var states = torch.empty(new long[] { count, batch, step.Width }, dtype: start.dtype);
        var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(states.bytes);
        using (var contiguous = start.detach().contiguous())
        {
            step.RunSequentialOnHost(first, batch, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(contiguous.bytes), values);
        }
        return states;
    }
}
