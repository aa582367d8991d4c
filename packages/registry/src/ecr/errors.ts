import { LambdockError } from '@lambdock/common';

/**
 * ECR exception names (the `__type` of the JSON 1.1 error body), registered once.
 * All are HTTP 400 except the authentication family.
 */
export const ecrErrorTypes = {
  RepositoryNotFoundException: 400,
  RepositoryAlreadyExistsException: 400,
  RepositoryNotEmptyException: 400,
  RepositoryPolicyNotFoundException: 400,
  ImageNotFoundException: 400,
  ImageAlreadyExistsException: 400,
  ImageTagAlreadyExistsException: 400,
  ImageDigestDoesNotMatchException: 400,
  LayersNotFoundException: 400,
  LayerAlreadyExistsException: 400,
  LayerInaccessibleException: 400,
  InvalidLayerException: 400,
  InvalidLayerPartException: 400,
  EmptyUploadException: 400,
  UploadNotFoundException: 400,
  ReferencedImagesNotFoundException: 400,
  UnsupportedImageTypeException: 400,
  LifecyclePolicyNotFoundException: 400,
  InvalidParameterException: 400,
  InvalidTagParameterException: 400,
  TooManyTagsException: 400,
  LimitExceededException: 400,
  ValidationException: 400,
  SerializationException: 400,
  UnknownOperationException: 400,
  ServerException: 500,
  MissingAuthenticationTokenException: 403,
  IncompleteSignatureException: 400,
  InvalidSignatureException: 403,
  UnrecognizedClientException: 403,
  AccessDeniedException: 400,
} as const satisfies Record<string, number>;

export type EcrErrorType = keyof typeof ecrErrorTypes;

export class EcrError extends LambdockError {
  readonly type: EcrErrorType;
  readonly status: number;

  constructor(type: EcrErrorType, message: string, status?: number) {
    super(`ECR_${type}`, message);
    this.type = type;
    this.status = status ?? ecrErrorTypes[type];
  }
}
