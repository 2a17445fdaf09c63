using DeepPcr.Validation;
using static TorchSharp.torch;

namespace DeepPcr.Chains;

/// <summary>Checks that a step and an input z_0 form a valid chain.</summary>
public static class ChainInput
{
    /// <summary>
    /// Throws <see cref="ArgumentException"/> unless the step has L &gt;= 1 and w &gt;= 1 and the input is a finite
    /// float32 or float64 tensor of shape (B, w) with B &gt;= 1.
    /// </summary>
    /// <param name="step">The chain step.</param>
    /// <param name="input">(B, w): z_0.</param>
    public static void Validate(IChainStep step, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(input);
        if (step.Length < 1)
        {
            throw new ArgumentException($"The chain has L = {step.Length} steps; at least one is needed.", nameof(step));
        }
        if (step.Width < 1)
        {
            throw new ArgumentException($"The chain has width {step.Width}; at least 1 is needed.", nameof(step));
        }
        TensorChecks.FloatingPoint(input, "input");
        if (input.dim() != 2 || input.size(1) != step.Width)
        {
            throw new ArgumentException(
                $"input has shape {TensorChecks.Format(input.shape)} but (B, {step.Width}) was expected for a chain of width {step.Width}.",
                nameof(input));
        }
        if (input.size(0) == 0)
        {
            throw new ArgumentException("input has batch size 0; at least one sample is needed.", nameof(input));
        }
        TensorChecks.Finite(input, "input");
        if (step is IDrivenChainStep driven)
        {
            var x = driven.StepInputs;
            if (x is null || x.dim() != 3 || x.size(0) != step.Length || x.size(1) != input.size(0))
            {
                throw new ArgumentException(
                    $"The step inputs have shape {(x is null ? "null" : TensorChecks.Format(x.shape))} but (L, B, I) = ({step.Length}, {input.size(0)}, I) was expected.", nameof(step));
            }
            TensorChecks.SameKind(x, "step inputs", input, "input");
            TensorChecks.Finite(x, "step inputs");
        }
    }
}
