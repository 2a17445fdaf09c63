using DeepPcr.Chains;
using DeepPcr.Newton;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Engines;

/// <summary>
/// The one place that decides which engine runs a solve, a sequential pass or an adjoint: the host kernels when the
/// step has them for these states (CPU float32/float64, parameters readable in place, no graph to record) and the work
/// is one they carry out, TorchSharp operations otherwise.
/// </summary>
internal static class EngineSelection
{
    /// <summary>True when the step's host kernels apply to states like <paramref name="like"/> (B, w).</summary>
    public static bool HostApplies(IChainStep step, Tensor like) =>
        step is IHostChainStep host && like.device_type == DeviceType.CPU && !like.requires_grad
        && (like.dtype == ScalarType.Float32 || like.dtype == ScalarType.Float64) && host.SupportsHost(like.dtype);

    /// <summary>The engine of a Newton run with this Jacobian choice and step control: the host kernels run exact Newton
    /// with plain steps on the step's declared structure (they dispatch on it).</summary>
    public static ChainEngine ForNewton(IChainStep step, JacobianChoice choice, IStepControl control, Tensor start) =>
        choice == JacobianChoice.Exact && control is PlainStep && HostApplies(step, start) ? ChainEngine.Host : ChainEngine.Torch;

    /// <summary>The engine of the sequential pass: the fused host loop where it applies.</summary>
    public static ChainEngine ForSequential(IChainStep step, Tensor start) => HostApplies(step, start) ? ChainEngine.Host : ChainEngine.Torch;

    /// <summary>The engine of the adjoint solve (exact Jacobians in the declared structure on the host where they apply).</summary>
    public static ChainEngine ForAdjoint(IChainStep step, Tensor input) => HostApplies(step, input) ? ChainEngine.Host : ChainEngine.Torch;

    /// <summary>
    /// True when the backward pass at a forward solution's states can run from the states without a Jacobian
    /// (<see cref="IHostDifferentiableChainStep.BackwardFromStatesOnHost{T}"/>): the states are the sequential pass's,
    /// so z_{l+1} = f_l(z_l); the step has that pass on the host for this dtype; and no step inputs need gradients.
    /// </summary>
    public static bool BackwardFromStates(IChainStep step, Tensor input, ChainMethod forwardMethod) =>
        forwardMethod == ChainMethod.Sequential && step is IHostDifferentiableChainStep host && step is not IDrivenChainStep
        && HostApplies(step, input) && host.SupportsBackwardFromStates(input.dtype);

    /// <summary>A backend for a run over steps first..first+n-1.</summary>
    public static IChainBackend Create(
        IChainStep step, Linearization linearization, IStepControl control, int first, Tensor start, Tensor guess, int chunk)
    {
        if (ForNewton(step, linearization.Choice, control, start) == ChainEngine.Host)
        {
            var host = (IHostChainStep)step;
            return start.dtype == ScalarType.Float32
                ? new HostBackend<float>(host, first, start, guess, chunk)
                : new HostBackend<double>(host, first, start, guess, chunk);
        }
        return new TorchBackend(step, linearization, first, start, guess, chunk, control.NeedsMerit);
    }
}
