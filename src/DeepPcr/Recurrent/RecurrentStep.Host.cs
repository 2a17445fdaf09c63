using System.Numerics;
using System.Runtime.InteropServices;
using DeepPcr.Chains;
using DeepPcr.Linear.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Recurrent;

/// <summary>The host kernels of the recurrent step (<see cref="RecurrentKernel{T}"/>): CPU float32/float64 projections and
/// weights read in place, once per call.</summary>
public sealed partial class RecurrentStep : IHostDrivenChainStep
{
    /// <inheritdoc />
    public bool SupportsHost(ScalarType dtype)
    {
        foreach (var t in new[] { StepInputs, WeightHh, BiasHh })
        {
            if (t is null) continue;
            if (t.device_type != DeviceType.CPU || t.dtype != dtype || !t.is_contiguous()) return false;
            // Tensors in an autograd graph are read in place only where no graph is being recorded (solves, backward passes).
            if (torch.is_grad_enabled() && t.requires_grad) return false;
        }
        return dtype is ScalarType.Float32 or ScalarType.Float64;
    }

    /// <inheritdoc />
    public unsafe void EvaluateOnHost<T>(int first, int batch, ReadOnlySpan<T> inputs, Span<T> outputs, Span<T> jacobian, long stride)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long rows = CheckRows(first, batch, inputs.Length, outputs.Length);
        if (!jacobian.IsEmpty && (stride < rows || jacobian.Length < BlockSize * stride))
        {
            throw new ArgumentException($"The Jacobian buffer is smaller than {BlockSize} planes of the given stride.", nameof(jacobian));
        }
        var kernel = Kernel<T>();
        fixed (byte* p = StepInputs.bytes)
        fixed (T* pin = inputs, pout = outputs, pj = jacobian)
        {
            kernel.Evaluate(rows, pin, (T*)p + (long)first * batch * gates * Hidden, pout, jacobian.IsEmpty ? null : pj, stride);
        }
    }

    /// <summary>The fused sequential loop: the parameters read once, the input projections precomputed, each time step one
    /// block of B rows with vectorised activations.</summary>
    public unsafe void RunSequentialOnHost<T>(int first, int batch, ReadOnlySpan<T> start, Span<T> states)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rowSize = batch * Width;
        if (start.Length != rowSize || states.Length % rowSize != 0) throw new ArgumentException($"start must hold (B, w) = ({batch}, {Width}) values and states (n, B, w).");
        int count = states.Length / rowSize;
        CheckRows(first, batch, states.Length, states.Length);
        var kernel = Kernel<T>();
        fixed (byte* p = StepInputs.bytes)
        fixed (T* z0 = start, zs = states)
        {
            kernel.Sequential(count, batch, z0, (T*)p + (long)first * batch * gates * Hidden, zs);
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<Tensor> ParameterGradientsOnHost<T>(int batch, ReadOnlySpan<T> inputs, ReadOnlySpan<T> outputs, ReadOnlySpan<T> cotangents)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (parameters, stepInputs) = GradientsOnHost(batch, inputs, outputs, cotangents);
        stepInputs.Dispose();
        return parameters;
    }

    /// <summary>[dLoss/dweight_hh, dLoss/dbias_hh] and dLoss/dP (L, B, G·H) from one host pass over the rows (the gates
    /// recomputed from the inputs) and one product for the dense weight gradient.</summary>
    public unsafe (IReadOnlyList<Tensor> Parameters, Tensor StepInputs) GradientsOnHost<T>(int batch, ReadOnlySpan<T> inputs, ReadOnlySpan<T> outputs, ReadOnlySpan<T> cotangents)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long rows = CheckRows(0, batch, inputs.Length, cotangents.Length);
        if (rows != (long)Length * batch) throw new ArgumentException($"inputs must hold (L, B, w) = ({Length}, {batch}, {Width}) values.", nameof(inputs));
        int gateWidth = gates * Hidden;
        var dtype = StepInputs.dtype;
        var dP = torch.empty(new long[] { Length, batch, gateWidth }, dtype: dtype);
        using var dQ = torch.empty(new long[] { rows, gateWidth }, dtype: dtype);
        var kernel = Kernel<T>();
        fixed (byte* p = StepInputs.bytes, pdp = dP.bytes, pdq = dQ.bytes)
        fixed (T* pin = inputs, pl = cotangents)
        {
            kernel.Cotangents(rows, pin, (T*)p, pl, (T*)pdp, (T*)pdq);
        }
        using var scope = torch.NewDisposeScope();
        var h = HostTensors.From<T>(inputs, new long[] { rows, Width }, dtype).narrow(1, 0, Hidden);
        var weight = Diagonal
            ? (dQ.view(rows, gates, Hidden) * h.unsqueeze(1)).sum(new long[] { 0 }).reshape(gateWidth)
            : torch.matmul(dQ.t(), h);
        var grads = new List<Tensor> { weight.MoveToOuterDisposeScope() };
        if (BiasHh is not null) grads.Add(dQ.sum(new long[] { 0 }).MoveToOuterDisposeScope());
        return (grads, dP);
    }

    /// <summary>Stored entries per Jacobian block: w^2 (dense), H (diagonal) or 4H (2 x 2 blocks of diagonals).</summary>
    private int BlockSize => JacobianStructure switch
    {
        JacobianStructure.Dense => Width * Width,
        JacobianStructure.Diagonal => Width,
        _ => 2 * Width,
    };

    private RecurrentKernel<T> Kernel<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dtype = typeof(T) == typeof(float) ? ScalarType.Float32 : typeof(T) == typeof(double) ? ScalarType.Float64 : (ScalarType?)null;
        if (dtype is null || !SupportsHostLayout(dtype.Value))
        {
            throw new InvalidOperationException($"The host kernels read the projections and weights in place: they must be contiguous CPU tensors of {typeof(T).Name}'s dtype; check SupportsHost first.");
        }
        var bias = BiasHh is null ? ReadOnlySpan<T>.Empty : MemoryMarshal.Cast<byte, T>(BiasHh.bytes);
        return new RecurrentKernel<T>(Cell, Hidden, MemoryMarshal.Cast<byte, T>(WeightHh.bytes), bias);
    }

    private bool SupportsHostLayout(ScalarType dtype) =>
        new[] { StepInputs, WeightHh, BiasHh }.All(t => t is null || (t.device_type == DeviceType.CPU && t.dtype == dtype && t.is_contiguous()));

    /// <summary>The rows (n B) of a call over steps first.., checked against the step's length.</summary>
    private long CheckRows(int first, int batch, int inputs, int outputs)
    {
        long rows = inputs / Width;
        if (batch < 1 || inputs != outputs || inputs % Width != 0 || rows % batch != 0 || first < 0 || first + rows / batch > Length || batch != StepInputs.size(1))
        {
            throw new ArgumentException($"inputs and outputs must both hold (n, {StepInputs.size(1)}, {Width}) values for n <= {Length - first}.");
        }
        return rows;
    }
}
