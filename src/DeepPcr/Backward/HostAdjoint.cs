using System.Numerics;
using DeepPcr.Chains;
using DeepPcr.Linear.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Backward;

/// <summary>
/// The adjoint solve of <see cref="AdjointSolver"/> in host memory for steps with host kernels: the Jacobians at
/// the accepted states come from <see cref="IHostChainStep.EvaluateOnHost{T}"/> in the planar layout, are transposed
/// and reversed there, and the reversed chain is one dense PCR solve; the same numbers as the tensor path without a
/// framework call per operation. Parameter gradients stay with the step's tensor method.
/// </summary>
internal static unsafe class HostAdjoint
{
    /// <summary>True when this path applies.</summary>
    public static bool Applies(IChainStep step, Tensor input) =>
        step is IHostChainStep host && step.JacobianStructure == JacobianStructure.Dense && input.device_type == DeviceType.CPU
        && (input.dtype == ScalarType.Float32 || input.dtype == ScalarType.Float64) && host.SupportsHost(input.dtype);

    /// <summary>
    /// The adjoint solution for the given states and cotangents: all L of them (L, B, w), or, when
    /// <paramref name="finalOnly"/>, only the final state's (B, w). Parameter gradients are included when the step
    /// gives them on the host (<see cref="IHostDifferentiableChainStep"/>), else null.
    /// </summary>
    public static (Tensor Lambda, Tensor InputGradient, IReadOnlyList<Tensor>? Parameters, int Rounds) Solve(IHostChainStep step, Tensor input, Tensor states, Tensor cotangents, bool finalOnly) =>
        input.dtype == ScalarType.Float32
            ? Solve<float>(step, input, states, cotangents, finalOnly)
            : Solve<double>(step, input, states, cotangents, finalOnly);

    private static (Tensor, Tensor, IReadOnlyList<Tensor>?, int) Solve<T>(IHostChainStep step, Tensor input, Tensor states, Tensor cotangents, bool finalOnly)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int length = step.Length, batch = (int)input.shape[0], width = step.Width, rowSize = batch * width;
        long rows = (long)length * batch, stride = HostPcr.StrideFor<T>(rows);
        int block = width * width;
        var chain = new T[(length + 1) * rowSize];
        HostTensors.CopyTo(input, chain.AsSpan(0, rowSize));
        HostTensors.CopyTo(states, chain.AsSpan(rowSize));
        // The reversed chain's right-hand sides: row k holds the cotangent of state L - k.
        var c = new T[length * rowSize];
        if (finalOnly)
        {
            HostTensors.CopyTo(cotangents, c.AsSpan(0, rowSize));
        }
        else
        {
            var cotangent = new T[length * rowSize];
            HostTensors.CopyTo(cotangents, cotangent);
            for (int k = 0; k < length; k++) cotangent.AsSpan((length - 1 - k) * rowSize, rowSize).CopyTo(c.AsSpan(k * rowSize, rowSize));
        }
        var zeros = new T[rowSize];
        var outputs = new T[length * rowSize];
        using var scratch = HostScratch.Lease((2 * block * stride + HostPcr.ScratchFor<T>(width, stride)) * sizeof(T));
        T* jacobian = (T*)scratch.Pointer, reversed = jacobian + block * stride, planes = reversed + block * stride;
        {
            step.EvaluateOnHost<T>(0, batch, chain.AsSpan(0, length * rowSize), outputs, new Span<T>(jacobian, (int)(block * stride)), stride);
            // Reversed row k >= 1 holds J^T of step L - k; row 0 has no predecessor (its start state is 0).
            for (int i = 0; i < width; i++)
            {
                for (int j = 0; j < width; j++)
                {
                    T* target = reversed + (i * width + j) * stride;
                    T* source = jacobian + (j * width + i) * stride;
                    for (int b = 0; b < batch; b++) target[b] = T.Zero;
                    for (long k = 1; k < length; k++)
                    {
                        T* from = source + (length - k) * batch, to = target + k * batch;
                        for (int b = 0; b < batch; b++) to[b] = from[b];
                    }
                }
            }
            int rounds;
            fixed (T* pc = c, pz = zeros)
            {
                rounds = HostPcr.SolveDense(length, batch, width, reversed, stride, pc, pz, planes);
            }
            var lambda = new T[length * rowSize];
            for (int k = 0; k < length; k++) c.AsSpan((length - 1 - k) * rowSize, rowSize).CopyTo(lambda.AsSpan(k * rowSize, rowSize));
            // Input gradient: J_1^T lambda_1, step 0's Jacobian at z_0 (lanes 0..B-1).
            var inputGradient = new T[rowSize];
            for (int b = 0; b < batch; b++)
            {
                for (int j = 0; j < width; j++)
                {
                    T sum = T.Zero;
                    for (int i = 0; i < width; i++) sum += jacobian[(i * width + j) * stride + b] * lambda[b * width + i];
                    inputGradient[b * width + j] = sum;
                }
            }
            var parameters = step is IHostDifferentiableChainStep differentiable
                ? differentiable.ParameterGradientsOnHost<T>(batch, chain.AsSpan(0, length * rowSize), outputs, lambda)
                : null;
            return (HostTensors.From<T>(lambda, new long[] { length, batch, width }, input.dtype), HostTensors.From<T>(inputGradient, new long[] { batch, width }, input.dtype), parameters, rounds);
        }
    }
}
